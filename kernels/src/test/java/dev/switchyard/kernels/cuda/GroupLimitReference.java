package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.TopKRouting;
import java.util.Arrays;

/**
 * The expert-group limit of a {@link TopKRouting}, written plainly for the routed-expert tests'
 * reference paths: each group scored by the sum of its two best ranks (score plus bias), the best
 * {@code groupsUsed} groups kept (equal scores to the lower group), their experts allowed.
 */
final class GroupLimitReference {

    private GroupLimitReference() {
    }

    /** Per expert, whether the token may choose it, given each expert's rank. */
    static boolean[] allowed(TopKRouting routing, double[] ranks) {
        int experts = ranks.length;
        int per = experts / routing.groupCount();
        double[] groupScore = new double[routing.groupCount()];
        for (int g = 0; g < groupScore.length; g++) {
            double[] members = Arrays.copyOfRange(ranks, g * per, (g + 1) * per);
            Arrays.sort(members);
            groupScore[g] = per > 1 ? members[per - 1] + members[per - 2] : members[0];
        }
        boolean[] kept = new boolean[groupScore.length];
        for (int n = 0; n < routing.groupsUsed(); n++) {
            int best = -1;
            for (int g = 0; g < groupScore.length; g++) {
                if (!kept[g] && (best < 0 || groupScore[g] > groupScore[best])) {
                    best = g;
                }
            }
            kept[best] = true;
        }
        boolean[] allowed = new boolean[experts];
        for (int e = 0; e < experts; e++) {
            allowed[e] = kept[e / per];
        }
        return allowed;
    }
}
