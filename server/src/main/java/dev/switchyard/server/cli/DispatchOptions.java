package dev.switchyard.server.cli;

import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import picocli.CommandLine.Option;

/** The capacity-aware dispatch flags shared by generate, bench and serve. */
final class DispatchOptions {

    @Option(names = "--overflow", defaultValue = "none", paramLabel = "MODE",
            description = "What happens to assignments beyond an expert's capacity: none (dropless, exact), "
                    + "drop, or reroute to the token's next best expert with room (default: ${DEFAULT-VALUE}).")
    String overflow;

    @Option(names = "--capacity-factor", defaultValue = "1.0", paramLabel = "GAMMA",
            description = "Capacity per expert: ceil(GAMMA x tokens x top-k / experts) per capacity group (default: ${DEFAULT-VALUE}).")
    double capacityFactor;

    @Option(names = "--capacity-scope", defaultValue = "sequence", paramLabel = "SCOPE",
            description = "sequence: groups are windows of one request's prompt, so no request can change another's "
                    + "output; batch: the whole step competes (needs --allow-cross-request-capacity) (default: ${DEFAULT-VALUE}).")
    String capacityScope;

    @Option(names = "--capacity-window", defaultValue = "64", paramLabel = "W",
            description = "Prompt positions per capacity group in sequence scope (default: ${DEFAULT-VALUE}).")
    int capacityWindow;

    @Option(names = "--allow-cross-request-capacity",
            description = "Allow --capacity-scope batch, where one request's tokens can change, and so reveal, another's "
                    + "output. For single-tenant deployments only.")
    boolean allowCrossRequest;

    DispatchConfig toConfig() {
        DispatchConfig config = DispatchConfig.parse(overflow, capacityFactor, capacityScope, capacityWindow, false);
        if (config.scope() == CapacityScope.BATCH && !allowCrossRequest) {
            throw new IllegalArgumentException("--capacity-scope batch lets one request's tokens change another's output "
                    + "(and so leak it); pass --allow-cross-request-capacity to accept that on a single-tenant deployment");
        }
        return config;
    }
}
