/**
 * Capacity-aware expert dispatch: {@link dev.switchyard.engine.moe.DispatchConfig} (the
 * {@code --overflow}, {@code --capacity-factor}, {@code --capacity-scope} and {@code --capacity-window}
 * settings), {@link dev.switchyard.engine.moe.CapacityGroups} (which tokens compete) and
 * {@link dev.switchyard.engine.moe.DispatchPlan} (the top-k, drop and reroute rules every backend
 * shares), with {@link dev.switchyard.engine.moe.DispatchStats} for the drop, reroute and load-balance
 * figures.
 */
package dev.switchyard.engine.moe;
