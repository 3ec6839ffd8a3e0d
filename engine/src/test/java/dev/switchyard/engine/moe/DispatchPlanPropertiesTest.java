package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random groups (T 1..64, E 2..16, k 1..min(4, E), gamma in (0, 3], scores with many exact ties, one
 * or several sequences, rows scattered over the step): the rules hold, and the preallocated planner
 * agrees bit for bit with the plain reference.
 */
class DispatchPlanPropertiesTest {

    record Scenario(DispatchCase group, double gamma, boolean normalize, long seed) {

        DispatchConfig config(OverflowMode mode) {
            return config(mode, gamma);
        }

        DispatchConfig config(OverflowMode mode, double g) {
            return new DispatchConfig(mode, g, CapacityScope.BATCH, DispatchConfig.DEFAULT_WINDOW, normalize);
        }

        @Override
        public String toString() {
            return "gamma=" + gamma + " normalize=" + normalize + " " + group;
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Integer> tokens = Arbitraries.integers().between(1, 64);
        Arbitrary<Integer> experts = Arbitraries.integers().between(2, 16);
        Arbitrary<Integer> k = Arbitraries.integers().between(1, 4);
        Arbitrary<Integer> sequences = Arbitraries.integers().between(1, 4);
        Arbitrary<Double> gamma = Arbitraries.oneOf(
                Arbitraries.doubles().between(0, false, 3, true),
                Arbitraries.of(0.25, 0.5, 1.0, 1.25, 2.0, 3.0, 1e-9));
        Arbitrary<Boolean> normalize = Arbitraries.of(true, false);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(tokens, experts, k, sequences, gamma, normalize, seed)
                .as((t, e, kk, s, g, norm, sd) -> new Scenario(
                        DispatchCase.random(sd, t, e, Math.min(kk, e), s), g, norm, sd));
    }

    @Property(tries = 400)
    void matchesTheReferenceBitForBit(@ForAll("scenarios") Scenario s) {
        for (OverflowMode mode : OverflowMode.values()) {
            DispatchConfig config = s.config(mode);
            DispatchCase.Output out = s.group().run(config);
            ReferenceDispatch.Result ref = s.group().reference(config);
            for (int t = 0; t < s.group().tokens; t++) {
                assertThat(out.experts()[t]).as("%s experts of token %d", mode, t).containsExactly(ref.experts()[t]);
                assertThat(bits(out.weights()[t])).as("%s weights of token %d", mode, t).containsExactly(bits(ref.weights()[t]));
            }
        }
    }

    @Property(tries = 300)
    void noExpertTakesMoreThanItsCapacity(@ForAll("scenarios") Scenario s) {
        int capacity = s.group().capacity(s.gamma());
        for (OverflowMode mode : new OverflowMode[] {OverflowMode.DROP, OverflowMode.REROUTE}) {
            int[] load = loads(s.group(), s.group().run(s.config(mode)));
            assertThat(java.util.Arrays.stream(load).max().orElse(0)).as("%s busiest expert, C = %d", mode, capacity)
                    .isLessThanOrEqualTo(capacity);
        }
    }

    @Property(tries = 300)
    void noTokenRunsAnExpertTwice(@ForAll("scenarios") Scenario s) {
        for (OverflowMode mode : OverflowMode.values()) {
            DispatchCase.Output out = s.group().run(s.config(mode));
            for (int t = 0; t < s.group().tokens; t++) {
                Set<Integer> seen = new HashSet<>();
                for (int e : out.experts()[t]) {
                    if (e >= 0) {
                        assertThat(seen.add(e)).as("%s token %d experts %s", mode, t, java.util.Arrays.toString(out.experts()[t])).isTrue();
                    }
                }
            }
        }
    }

    @Property(tries = 300)
    void dropOnlyRemovesTopKAssignments(@ForAll("scenarios") Scenario s) {
        DispatchCase.Output none = s.group().run(s.config(OverflowMode.NONE));
        DispatchCase.Output drop = s.group().run(s.config(OverflowMode.DROP));
        for (int t = 0; t < s.group().tokens; t++) {
            for (int j = 0; j < s.group().k; j++) {
                int e = drop.experts()[t][j];
                assertThat(e).as("token %d slot %d", t, j).isIn(-1, none.experts()[t][j]);
                if (e < 0) {
                    assertThat(drop.weights()[t][j]).isZero();
                } else if (!s.normalize()) {
                    assertThat(drop.weights()[t][j]).isEqualTo(none.weights()[t][j]);
                }
            }
        }
    }

    @Property(tries = 300)
    void rerouteKeepsTheSameWinnersAsDropAndFillsOnlyItsLosers(@ForAll("scenarios") Scenario s) {
        DispatchCase.Output none = s.group().run(s.config(OverflowMode.NONE));
        DispatchCase.Output drop = s.group().run(s.config(OverflowMode.DROP));
        DispatchCase.Output reroute = s.group().run(s.config(OverflowMode.REROUTE));
        for (int t = 0; t < s.group().tokens; t++) {
            for (int j = 0; j < s.group().k; j++) {
                int kept = drop.experts()[t][j];
                int moved = reroute.experts()[t][j];
                if (kept >= 0) {
                    assertThat(moved).as("token %d slot %d won its expert", t, j).isEqualTo(kept);
                } else if (moved >= 0) {
                    assertThat(none.experts()[t]).as("token %d rerouted slot %d", t, j).doesNotContain(moved);
                    if (!s.normalize()) {
                        assertThat(reroute.weights()[t][j]).isEqualTo(s.group().p[t][moved]);
                    }
                }
            }
        }
    }

    @Property(tries = 300)
    void rerouteDropsOnlyWhenEveryEligibleExpertIsFull(@ForAll("scenarios") Scenario s) {
        int capacity = s.group().capacity(s.gamma());
        DispatchCase.Output none = s.group().run(s.config(OverflowMode.NONE));
        DispatchCase.Output reroute = s.group().run(s.config(OverflowMode.REROUTE));
        int[] load = loads(s.group(), reroute);
        for (int t = 0; t < s.group().tokens; t++) {
            for (int j = 0; j < s.group().k; j++) {
                if (reroute.experts()[t][j] >= 0) {
                    continue;
                }
                for (int e = 0; e < s.group().experts; e++) {
                    if (!contains(none.experts()[t], e) && !contains(reroute.experts()[t], e)) {
                        assertThat(load[e]).as("token %d dropped slot %d, expert %d had room", t, j, e).isEqualTo(capacity);
                    }
                }
            }
        }
    }

    @Property(tries = 300)
    void gammaOfAtLeastEOverKIsDropless(@ForAll("scenarios") Scenario s) {
        DispatchCase g = s.group();
        double gamma = (double) g.experts / g.k * (1 + (s.seed() & 3) / 2.0);
        DispatchCase.Output none = g.run(s.config(OverflowMode.NONE, gamma));
        for (OverflowMode mode : new OverflowMode[] {OverflowMode.DROP, OverflowMode.REROUTE}) {
            DispatchCase.Output out = g.run(s.config(mode, gamma));
            for (int t = 0; t < g.tokens; t++) {
                assertThat(out.experts()[t]).containsExactly(none.experts()[t]);
                assertThat(bits(out.weights()[t])).containsExactly(bits(none.weights()[t]));
            }
        }
    }

    @Property(tries = 300)
    void noneIsThePlainTopK(@ForAll("scenarios") Scenario s) {
        DispatchCase g = s.group();
        DispatchCase.Output none = g.run(s.config(OverflowMode.NONE));
        for (int t = 0; t < g.tokens; t++) {
            float[] weights = new float[g.k];
            int[] experts = new int[g.k];
            plainTopK(g.p[t], g.k, s.normalize(), experts, weights);
            assertThat(none.experts()[t]).containsExactly(experts);
            assertThat(bits(none.weights()[t])).containsExactly(bits(weights));
        }
    }

    @Property(tries = 300)
    void normalizedWeightsOfASurvivingTokenSumToOne(@ForAll("scenarios") Scenario s) {
        if (!s.normalize()) {
            return;
        }
        for (OverflowMode mode : OverflowMode.values()) {
            DispatchCase.Output out = s.group().run(s.config(mode));
            for (int t = 0; t < s.group().tokens; t++) {
                double sum = 0;
                boolean any = false;
                boolean positive = false;
                for (int j = 0; j < s.group().k; j++) {
                    if (out.experts()[t][j] >= 0) {
                        any = true;
                        positive |= s.group().p[t][out.experts()[t][j]] > 0;
                        sum += out.weights()[t][j];
                    } else {
                        assertThat(out.weights()[t][j]).isZero();
                    }
                }
                if (any && positive) {
                    assertThat(sum).as("%s token %d", mode, t).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
                } else if (!any) {
                    assertThat(sum).isZero();
                }
            }
        }
    }

    @Property(tries = 300)
    void permutingTheRowsPermutesTheOutputBitForBit(@ForAll("scenarios") Scenario s) {
        DispatchCase original = s.group();
        DispatchCase permuted = original.permuted(s.seed() ^ 0x9E3779B97F4A7C15L);
        for (OverflowMode mode : OverflowMode.values()) {
            DispatchCase.Output a = original.run(s.config(mode));
            DispatchCase.Output b = permuted.run(s.config(mode));
            // token t of the original is the permuted token holding the same (position, tie key)
            for (int t = 0; t < original.tokens; t++) {
                int u = find(permuted, original.position[t], original.tieKey[t]);
                assertThat(b.experts()[u]).as("%s token %d", mode, t).containsExactly(a.experts()[t]);
                assertThat(bits(b.weights()[u])).as("%s token %d", mode, t).containsExactly(bits(a.weights()[t]));
            }
        }
    }

    @Property(tries = 100)
    void aReusedPlannerGivesTheSameAnswerAsAFreshOne(@ForAll("scenarios") Scenario s, @ForAll("scenarios") Scenario other) {
        DispatchCase g = s.group();
        DispatchPlan reused = new DispatchPlan(s.config(OverflowMode.REROUTE), g.experts, g.k, 64);
        DispatchCase.Output fresh = g.run(s.config(OverflowMode.REROUTE));
        if (other.group().experts == g.experts && other.group().k == g.k) {
            other.group().run(reused);
        }
        DispatchCase.Output again = g.run(reused);
        for (int t = 0; t < g.tokens; t++) {
            assertThat(again.experts()[t]).containsExactly(fresh.experts()[t]);
            assertThat(bits(again.weights()[t])).containsExactly(bits(fresh.weights()[t]));
        }
    }

    // --- helpers

    /** Top-k as the dropless forward pass computes it: strict '>' scan, lower index wins ties. */
    static void plainTopK(float[] p, int k, boolean normalize, int[] experts, float[] weights) {
        double sum = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            float value = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < p.length; e++) {
                boolean taken = false;
                for (int i = 0; i < j; i++) {
                    taken |= experts[i] == e;
                }
                if (!taken && p[e] > value) {
                    best = e;
                    value = p[e];
                }
            }
            experts[j] = best;
            weights[j] = value;
            sum += value;
        }
        if (normalize) {
            for (int j = 0; j < k; j++) {
                weights[j] = (float) (weights[j] / sum);
            }
        }
    }

    static int[] loads(DispatchCase g, DispatchCase.Output out) {
        int[] load = new int[g.experts];
        for (int[] experts : out.experts()) {
            for (int e : experts) {
                if (e >= 0) {
                    load[e]++;
                }
            }
        }
        return load;
    }

    static int[] bits(float[] w) {
        int[] b = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            b[i] = Float.floatToRawIntBits(w[i]);
        }
        return b;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static int find(DispatchCase g, int position, int tieKey) {
        for (int t = 0; t < g.tokens; t++) {
            if (g.position[t] == position && g.tieKey[t] == tieKey) {
                return t;
            }
        }
        throw new AssertionError("token at " + position + "/" + tieKey + " lost");
    }
}
