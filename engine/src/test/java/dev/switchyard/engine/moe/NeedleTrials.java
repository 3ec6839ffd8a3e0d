package dev.switchyard.engine.moe;

import dev.switchyard.engine.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A fixed "needle" request (a 40-token prompt, greedy, with logprobs) and seeded trials that run it
 * beside 1..15 fillers, some of them crafted to flood the experts the needle's tokens prefer.
 */
final class NeedleTrials {

    /** The needle's prompt: 40 tokens, three capacity windows of 16, 16 and 8 positions. */
    static final int[] NEEDLE = DispatchRuns.randomPrompt(new SplittableRandom(7), 40);
    /** Step sizes the trials draw from: multiples of the window, each at least the largest batch. */
    private static final int[] STEP_TOKENS = {16, 32, 48, 64};

    /** How a filler's prompt is made. */
    enum Filler {
        /** Random tokens, 1..80 of them. */
        RANDOM,
        /** The needle's own prompt: at every position it prefers exactly the needle's experts. */
        CLONE,
        /** A prefix of the needle's prompt, then random tokens. */
        PREFIX,
        /** The needle's tokens reordered and repeated. */
        SHUFFLED,
        /** Tokens that, alone, route in the first layer to the needle's two busiest experts. */
        HOT
    }

    /** A batch holding the needle at {@code needle}, run with steps of {@code stepTokens}. */
    record Trial(long seed, List<GenerationRequest> requests, int needle, int stepTokens, List<Filler> fillers) {

        @Override
        public String toString() {
            return "trial " + seed + ": " + requests.size() + " requests, needle at " + needle + ", steps of "
                    + stepTokens + ", fillers " + fillers;
        }
    }

    private static volatile int[] hotTokens;

    private NeedleTrials() {
    }

    static GenerationRequest needle() {
        return new GenerationRequest(NEEDLE, DispatchRuns.greedy(), DispatchRuns.GENERATED);
    }

    /**
     * Trial {@code seed}. Trial 0 floods the needle with 15 clones of its own prompt; other even trials
     * use adversarial fillers only (clones, prefixes, shuffles, hot tokens); odd trials mix in random
     * ones. Sizes, the needle's place, the step size, filler lengths, sampling and lengths generated are
     * drawn from the seed.
     */
    static Trial trial(long seed) {
        SplittableRandom random = new SplittableRandom(1000 + seed);
        int size = seed == 0 ? 16 : 2 + random.nextInt(15);
        int needleAt = random.nextInt(size);
        int stepTokens = STEP_TOKENS[random.nextInt(STEP_TOKENS.length)];
        List<GenerationRequest> requests = new ArrayList<>();
        List<Filler> kinds = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (i == needleAt) {
                requests.add(needle());
                continue;
            }
            Filler kind;
            if (seed == 0) {
                kind = Filler.CLONE;
            } else if (seed % 2 == 0) {
                kind = Filler.values()[1 + random.nextInt(Filler.values().length - 1)];
            } else {
                kind = Filler.values()[random.nextInt(Filler.values().length)];
            }
            kinds.add(kind);
            int[] prompt = prompt(kind, random);
            int generate = 1 + random.nextInt(16);
            requests.add(new GenerationRequest(prompt,
                    random.nextBoolean() ? DispatchRuns.greedy() : DispatchRuns.seeded(random.nextLong()), generate));
        }
        return new Trial(seed, List.copyOf(requests), needleAt, stepTokens, List.copyOf(kinds));
    }

    private static int[] prompt(Filler kind, SplittableRandom random) {
        return switch (kind) {
            case RANDOM -> DispatchRuns.randomPrompt(random, 1 + random.nextInt(80));
            case CLONE -> NEEDLE.clone();
            case PREFIX -> {
                int[] prompt = DispatchRuns.randomPrompt(random, 1 + random.nextInt(80));
                System.arraycopy(NEEDLE, 0, prompt, 0, Math.min(prompt.length, 1 + random.nextInt(NEEDLE.length)));
                yield prompt;
            }
            case SHUFFLED -> {
                int[] prompt = new int[1 + random.nextInt(80)];
                for (int j = 0; j < prompt.length; j++) {
                    prompt[j] = NEEDLE[random.nextInt(NEEDLE.length)];
                }
                yield prompt;
            }
            case HOT -> {
                int[] hot = hotTokens();
                int[] prompt = new int[16 + random.nextInt(65)];
                for (int j = 0; j < prompt.length; j++) {
                    prompt[j] = hot[random.nextInt(hot.length)];
                }
                yield prompt;
            }
        };
    }

    /**
     * Tokens whose first-layer top-2, in a dropless probe over the whole prompt vocabulary, holds both
     * of the two experts the needle's prompt loads most in the first layer (or, if fewer than 8 such
     * tokens exist, its busiest one).
     */
    static int[] hotTokens() {
        int[] hot = hotTokens;
        if (hot == null) {
            synchronized (NeedleTrials.class) {
                hot = hotTokens;
                if (hot == null) {
                    hot = findHotTokens();
                    hotTokens = hot;
                }
            }
        }
        return hot;
    }

    private static int[] findHotTokens() {
        try {
            DispatchConfig dropless = DispatchRuns.config(OverflowMode.NONE, 1, CapacityScope.SEQUENCE);
            DispatchRuns.Run needle = DispatchRuns.run(dropless,
                    List.of(new GenerationRequest(NEEDLE, DispatchRuns.greedy(), 1)), 64);
            int[] load = new int[DispatchRuns.EXPERTS];
            needle.routing().getFirst().forEach((key, assignments) -> {
                if (key >>> 32 == 0) {
                    for (String a : assignments.split(" ")) {
                        load[Integer.parseInt(a.substring(0, a.indexOf(':')))]++;
                    }
                }
            });
            int first = 0;
            for (int e = 1; e < load.length; e++) {
                if (load[e] > load[first]) {
                    first = e;
                }
            }
            int second = first == 0 ? 1 : 0;
            for (int e = 0; e < load.length; e++) {
                if (e != first && load[e] > load[second]) {
                    second = e;
                }
            }
            int half = DispatchRuns.PROMPT_VOCAB / 2;
            int[][] probes = new int[2][half];
            for (int i = 0; i < DispatchRuns.PROMPT_VOCAB; i++) {
                probes[i / half][i % half] = i;
            }
            DispatchRuns.Run probe = DispatchRuns.run(dropless, List.of(
                    new GenerationRequest(probes[0], DispatchRuns.greedy(), 1),
                    new GenerationRequest(probes[1], DispatchRuns.greedy(), 1)), 64);
            List<Integer> both = new ArrayList<>();
            List<Integer> busiest = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                TreeMap<Long, String> routing = probe.routing().get(s);
                for (int p = 0; p < half; p++) {
                    List<String> experts = Arrays.stream(routing.get((long) p).split(" "))
                            .map(a -> a.substring(0, a.indexOf(':'))).toList();
                    boolean hasFirst = experts.contains(Integer.toString(first));
                    if (hasFirst) {
                        busiest.add(probes[s][p]);
                        if (experts.contains(Integer.toString(second))) {
                            both.add(probes[s][p]);
                        }
                    }
                }
            }
            List<Integer> chosen = both.size() >= 8 ? both : busiest;
            if (chosen.isEmpty()) {
                throw new IllegalStateException("no token of the vocabulary prefers expert " + first);
            }
            return chosen.stream().mapToInt(Integer::intValue).toArray();
        } catch (Exception e) {
            throw new IllegalStateException("probing the tiny model's routing failed", e);
        }
    }
}
