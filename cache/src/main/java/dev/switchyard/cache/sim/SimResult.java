package dev.switchyard.cache.sim;

/**
 * One policy at one cache size over one workload, per decode token where it says so.
 *
 * @param policy           the policy's registry name
 * @param cacheFraction    the share of all experts the cache holds
 * @param capacity         experts the cache holds
 * @param stats            the policy's counts over decode steps
 * @param bytesPerToken    bytes over the link (demand and prefetch copies) per decode token
 * @param stallPerToken    seconds per decode token spent waiting for copies
 * @param tokensPerSecond  decode tokens per second the timing model predicts
 */
public record SimResult(String policy, double cacheFraction, int capacity, PolicyStats stats,
                        double bytesPerToken, double stallPerToken, double tokensPerSecond) {
}
