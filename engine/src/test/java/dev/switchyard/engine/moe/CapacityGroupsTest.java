package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Prompt windows, lone generated tokens, one batch group; chunking at window boundaries changes nothing. */
class CapacityGroupsTest {

    /** A token of a step: its sequence, position, and whether the model generated it. */
    private record Token(int sequence, int position, boolean generated) {

        static Token prompt(int sequence, int position) {
            return new Token(sequence, position, false);
        }

        static Token gen(int sequence, int position) {
            return new Token(sequence, position, true);
        }
    }

    /** Groups a step and returns each group as a set of "sequence@position" labels. */
    private static Set<Set<String>> groups(CapacityGroups grouping, List<Token> step) {
        int n = step.size();
        int[] sequences = new int[n];
        int[] positions = new int[n];
        boolean[] generated = new boolean[n];
        for (int r = 0; r < n; r++) {
            sequences[r] = step.get(r).sequence();
            positions[r] = step.get(r).position();
            generated[r] = step.get(r).generated();
        }
        int count = grouping.build(n, sequences, positions, generated);
        assertThat(count).isEqualTo(grouping.count());
        Set<Set<String>> result = new HashSet<>();
        int covered = 0;
        for (int g = 0; g < count; g++) {
            Set<String> group = new HashSet<>();
            for (int x = grouping.start(g); x < grouping.start(g) + grouping.size(g); x++) {
                int r = grouping.rows()[x];
                group.add(sequences[r] + "@" + positions[r]);
            }
            assertThat(group).hasSize(grouping.size(g));
            covered += group.size();
            result.add(group);
        }
        assertThat(covered).as("every row in exactly one group").isEqualTo(n);
        return result;
    }

    private static Set<String> labels(int sequence, int from, int to) {
        Set<String> s = new HashSet<>();
        for (int p = from; p < to; p++) {
            s.add(sequence + "@" + p);
        }
        return s;
    }

    private static List<Token> prompt(int sequence, int from, int to) {
        List<Token> tokens = new ArrayList<>();
        for (int p = from; p < to; p++) {
            tokens.add(Token.prompt(sequence, p));
        }
        return tokens;
    }

    @Test
    void promptTokensGroupByWindow() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 32);
        assertThat(groups(grouping, prompt(3, 0, 10)))
                .containsExactlyInAnyOrder(labels(3, 0, 4), labels(3, 4, 8), labels(3, 8, 10));
    }

    @Test
    void aChunkStartingAtABoundaryGroupsFromThere() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 32);
        assertThat(groups(grouping, prompt(1, 8, 17)))
                .containsExactlyInAnyOrder(labels(1, 8, 12), labels(1, 12, 16), labels(1, 16, 17));
    }

    @Test
    void generatedTokensAreGroupsOfTheirOwn() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 32);
        List<Token> step = new ArrayList<>(List.of(Token.gen(1, 40), Token.gen(2, 7), Token.gen(3, 0)));
        assertThat(groups(grouping, step)).containsExactlyInAnyOrder(
                Set.of("1@40"), Set.of("2@7"), Set.of("3@0"));
    }

    @Test
    void recomputedGeneratedTokensStayAloneAfterTheirPrompt() {
        // after preemption: prompt 0..5 and generated 6..8 recomputed in one prefill
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 32);
        List<Token> step = prompt(5, 0, 6);
        for (int p = 6; p < 9; p++) {
            step.add(Token.gen(5, p));
        }
        assertThat(groups(grouping, step)).containsExactlyInAnyOrder(
                labels(5, 0, 4), labels(5, 4, 6), Set.of("5@6"), Set.of("5@7"), Set.of("5@8"));
    }

    @Test
    void sequencesNeverShareAGroupInSequenceScope() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 64, 32);
        List<Token> step = new ArrayList<>();
        step.addAll(prompt(1, 0, 5));
        step.addAll(prompt(2, 0, 5));
        step.add(Token.gen(3, 9));
        assertThat(groups(grouping, step)).containsExactlyInAnyOrder(labels(1, 0, 5), labels(2, 0, 5), Set.of("3@9"));
    }

    @Test
    void batchScopeIsOneGroupOfEverything() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.BATCH, 4, 32);
        List<Token> step = new ArrayList<>();
        step.addAll(prompt(1, 0, 9));
        step.add(Token.gen(2, 30));
        step.add(Token.gen(3, 30));
        Set<Set<String>> groups = groups(grouping, step);
        assertThat(groups).hasSize(1);
        assertThat(groups.iterator().next()).hasSize(11);
        assertThat(grouping.build(0, new int[0], new int[0], new boolean[0])).isZero();
    }

    @Test
    void rowOrderDoesNotChangeTheGroups() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 3, 64);
        List<Token> step = new ArrayList<>();
        step.addAll(prompt(1, 0, 10));
        step.addAll(prompt(2, 6, 14));
        step.add(Token.gen(3, 2));
        Set<Set<String>> expected = groups(grouping, step);
        for (long seed = 0; seed < 20; seed++) {
            List<Token> shuffled = new ArrayList<>(step);
            java.util.Collections.shuffle(shuffled, new Random(seed));
            assertThat(groups(grouping, shuffled)).isEqualTo(expected);
        }
    }

    @Test
    void theSameTokenTwiceIsRejected() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 8);
        assertThatThrownBy(() -> grouping.build(2, new int[] {1, 1}, new int[] {3, 3}, new boolean[2]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("both sequence 1 at position 3");
        assertThatThrownBy(() -> grouping.build(9, new int[9], new int[9], new boolean[9]))
                .hasMessageContaining("0..8");
        assertThatThrownBy(() -> grouping.build(1, new int[1], new int[] {-1}, new boolean[1]))
                .hasMessageContaining("negative position");
        assertThatThrownBy(() -> new CapacityGroups(CapacityScope.SEQUENCE, 0, 8)).hasMessageContaining("window");
    }

    @Test
    void alignedChunksEndAtWindowBoundariesOrThePromptsEnd() {
        assertThat(CapacityGroups.alignedChunkLength(0, 100, 50, 16)).isEqualTo(48);
        assertThat(CapacityGroups.alignedChunkLength(48, 100, 50, 16)).isEqualTo(48);
        assertThat(CapacityGroups.alignedChunkLength(96, 100, 50, 16)).isEqualTo(4);
        assertThat(CapacityGroups.alignedChunkLength(0, 10, 50, 16)).isEqualTo(10);
        assertThat(CapacityGroups.alignedChunkLength(0, 100, 15, 16)).as("budget short of a boundary").isZero();
        assertThat(CapacityGroups.alignedChunkLength(0, 100, 16, 16)).isEqualTo(16);
        assertThat(CapacityGroups.alignedChunkLength(5, 100, 11, 16)).as("unaligned start reaches the next boundary").isEqualTo(11);
        assertThatThrownBy(() -> CapacityGroups.alignedChunkLength(100, 100, 5, 16)).hasMessageContaining("outside");
        assertThatThrownBy(() -> CapacityGroups.alignedChunkLength(0, 100, -1, 16)).hasMessageContaining("budget");
    }

    @Property(tries = 200)
    void aPromptChunkedAtWindowBoundariesGroupsAsIfUnchunked(
            @ForAll @IntRange(min = 1, max = 200) int promptLength,
            @ForAll @IntRange(min = 1, max = 40) int window,
            @ForAll long seed) {
        Random random = new Random(seed);
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, window, 512);
        Set<Set<String>> unchunked = groups(grouping, prompt(7, 0, promptLength));
        Set<Set<String>> chunked = new HashSet<>();
        int start = 0;
        while (start < promptLength) {
            int budget = window + random.nextInt(3 * window);
            int length = CapacityGroups.alignedChunkLength(start, promptLength, budget, window);
            assertThat(length).as("a budget of at least one window always progresses").isPositive();
            List<Token> step = new ArrayList<>(prompt(7, start, start + length));
            // other requests in the same step change nothing for this one
            int others = random.nextInt(3);
            for (int o = 0; o < others; o++) {
                step.addAll(prompt(100 + o, random.nextInt(50), 50 + random.nextInt(10)));
                step.add(Token.gen(200 + o, random.nextInt(500)));
            }
            java.util.Collections.shuffle(step, random);
            for (Set<String> group : groups(grouping, step)) {
                if (group.iterator().next().startsWith("7@")) {
                    chunked.add(group);
                }
            }
            start += length;
        }
        assertThat(chunked).isEqualTo(unchunked);
    }

    @Test
    void aChunkCutInsideAWindowSplitsThatWindow() {
        CapacityGroups grouping = new CapacityGroups(CapacityScope.SEQUENCE, 4, 32);
        Set<Set<String>> first = groups(grouping, prompt(1, 0, 6));
        Set<Set<String>> second = groups(grouping, prompt(1, 6, 8));
        assertThat(first).contains(labels(1, 4, 6));
        assertThat(second).containsExactly(labels(1, 6, 8));
        assertThat(groups(grouping, prompt(1, 0, 8))).contains(labels(1, 4, 8));
    }

    // --- with the planner: a request's experts do not depend on what else is in the step

    /** Plans every group of the step with one planner; returns row -> experts. */
    private static Map<String, int[]> dispatchStep(DispatchConfig config, int experts, int k, List<Token> step,
                                                   Map<String, float[]> probabilitiesOf) {
        int n = step.size();
        int[] sequences = new int[n];
        int[] positions = new int[n];
        boolean[] generated = new boolean[n];
        float[] probabilities = new float[n * experts];
        for (int r = 0; r < n; r++) {
            Token t = step.get(r);
            sequences[r] = t.sequence();
            positions[r] = t.position();
            generated[r] = t.generated();
            System.arraycopy(probabilitiesOf.get(t.sequence() + "@" + t.position()), 0, probabilities, r * experts, experts);
        }
        CapacityGroups grouping = CapacityGroups.of(config, n);
        DispatchPlan plan = new DispatchPlan(config, experts, k, n);
        int[] outExperts = new int[n * k];
        float[] outWeights = new float[n * k];
        int groups = grouping.build(n, sequences, positions, generated);
        for (int g = 0; g < groups; g++) {
            plan.plan(probabilities, grouping.rows(), grouping.start(g), positions, sequences, grouping.size(g),
                    outExperts, outWeights);
        }
        Map<String, int[]> result = new HashMap<>();
        for (int r = 0; r < n; r++) {
            result.put(sequences[r] + "@" + positions[r], Arrays.copyOfRange(outExperts, r * k, r * k + k));
        }
        return result;
    }

    private static Map<String, float[]> randomProbabilities(List<Token> tokens, int experts, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> p = new HashMap<>();
        for (Token t : tokens) {
            float[] row = new float[experts];
            for (int e = 0; e < experts; e++) {
                row[e] = random.nextInt(4) / 4f + (e == 0 ? 0.5f : 0); // expert 0 popular, many ties
            }
            p.put(t.sequence() + "@" + t.position(), row);
        }
        return p;
    }

    @Test
    void inSequenceScopeARequestDispatchesTheSameAloneOrBesideOthers() {
        DispatchConfig config = new DispatchConfig(OverflowMode.REROUTE, 1.0, CapacityScope.SEQUENCE, 8, true);
        List<Token> alone = prompt(1, 0, 20);
        List<Token> crowd = new ArrayList<>(alone);
        crowd.addAll(prompt(2, 0, 20));
        crowd.add(Token.gen(3, 5));
        java.util.Collections.shuffle(crowd, new Random(3));
        Map<String, float[]> p = randomProbabilities(crowd, 6, 11);
        Map<String, int[]> a = dispatchStep(config, 6, 2, alone, p);
        Map<String, int[]> b = dispatchStep(config, 6, 2, crowd, p);
        for (Token t : alone) {
            String key = t.sequence() + "@" + t.position();
            assertThat(b.get(key)).as(key).containsExactly(a.get(key));
        }
    }

    @Test
    void inBatchScopeNeighboursCompeteForCapacity() {
        DispatchConfig config = new DispatchConfig(OverflowMode.DROP, 1.0, CapacityScope.BATCH, 8, true);
        // E = 2, k = 1; everyone wants expert 0
        List<Token> alone = List.of(Token.prompt(1, 0), Token.prompt(1, 1));
        List<Token> crowd = List.of(Token.prompt(1, 0), Token.prompt(1, 1), Token.prompt(2, 0), Token.prompt(2, 1));
        Map<String, float[]> p = new HashMap<>();
        p.put("1@0", new float[] {.6f, .4f});
        p.put("1@1", new float[] {.6f, .4f});
        p.put("2@0", new float[] {.9f, .1f});
        p.put("2@1", new float[] {.9f, .1f});
        // alone: C = 1, 1@0 keeps e0 and 1@1 keeps... only e0 wanted: 1@1 dropped
        assertThat(dispatchStep(config, 2, 1, alone, p).get("1@0")).containsExactly(0);
        // beside sequence 2 (higher scores): C = 2, sequence 2 takes both slots of e0
        assertThat(dispatchStep(config, 2, 1, crowd, p).get("1@0")).containsExactly(-1);
    }
}
