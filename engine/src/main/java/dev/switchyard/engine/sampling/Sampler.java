package dev.switchyard.engine.sampling;

import dev.switchyard.kernels.cpu.LogitMath;
import dev.switchyard.kernels.Backend;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Chooses the next token of one sequence from the model's logits for its last position.
 *
 * <p><b>Order of operations</b> (where the two overlap, llama.cpp's default sampler chain: logit bias,
 * penalties, top-k, top-p, min-p, temperature, draw):
 * <ol>
 * <li>The logits are checked (NaN and +infinity are rejected; -infinity is a masked token) and copied
 *     into scratch: the caller's array is never modified.</li>
 * <li><b>Logit bias</b>: {@code l[t] += bias[t]}.</li>
 * <li><b>Penalties</b>, per token, repetition first: for every token seen in the prompt or the generated
 *     text, {@code l = l > 0 ? l / repetition : l * repetition}; then, with {@code c} the number of times
 *     the token was generated (not counting the prompt, as OpenAI defines it),
 *     {@code l -= c * frequency + (c > 0 ? presence : 0)}. Then the request's token restrictions
 *     ({@link TokenRestrictions}: min_tokens, allowed_token_ids, bad_words) set what may not come next
 *     to -infinity. DRY ({@link SamplerExtras.Dry}, llama.cpp's) lowers, before the restrictions, the
 *     tokens that would extend a repetition of the text so far.</li>
 * <li><b>Mirostat</b> ({@link SamplerExtras.Mirostat}), when on and not greedy, takes over from here
 *     as in llama.cpp: the adjusted logits at the request's temperature, cut by the sequence's
 *     surprise bound and drawn from; none of the filters below, nor dynamic temperature, apply.</li>
 * <li><b>Masking filters</b> of {@link SamplerExtras}, when set and not greedy, in llama.cpp's order:
 *     top-n-sigma, locally typical. Each looks at the whole adjusted row at temperature 1.</li>
 * <li><b>Greedy</b> when temperature is 0: the argmax of the adjusted logits, ties to the lowest token id.
 *     The filters below cannot change the argmax, so they are skipped, and no random number is drawn:
 *     the seed plays no part.</li>
 * <li><b>Top-k</b>: the k largest adjusted logits (ties to lower ids).</li>
 * <li><b>Top-p</b>: of those, most probable first (ties to lower ids), the shortest prefix whose
 *     probability, renormalized over the top-k survivors at temperature 1, reaches p.</li>
 * <li><b>Min-p</b>: of those, the tokens whose probability is at least {@code minP} times the most
 *     probable one's, i.e. {@code l >= max + ln minP}.</li>
 * <li><b>XTC</b> ({@link SamplerExtras}), when it acts (drawn from the sequence's stream unless its
 *     probability is 1): of those, the ones at least {@code xtc_threshold} probable, renormalized over
 *     the survivors at temperature 1, all give way but the least probable of them, where llama.cpp
 *     applies it.</li>
 * <li><b>Temperature</b>: survivors weighted {@code exp((l - max) / T)} (max subtracted, sums in double).
 *     With dynamic temperature ({@link SamplerExtras.DynamicTemperature}) T follows the survivors'
 *     normalized entropy within {@code T ± range}; a temperature that comes to 0 takes the best survivor.
 *     Note that, like llama.cpp and unlike vLLM and OpenAI, the filters above see the temperature-1
 *     distribution; with {@link SamplerExtras#temperatureFirst()} (a llama.cpp request that lists the
 *     temperature first) the adjusted row is divided by T before the masking filters instead, and the
 *     draw is at 1.</li>
 * <li><b>Draw</b>: one {@code nextDouble()} from this sequence's own {@value #RANDOM_ALGORITHM} stream,
 *     inverse-CDF over the survivors in a fixed order. The same seed gives the same tokens for the same
 *     logits, whatever other sequences do.</li>
 * </ol>
 * <b>Log-probabilities</b> ({@link #sample(float[], TokenLogprobs)}) describe the model, not the
 * sampler: the natural-log softmax of the raw logits of step 1, untouched by bias, penalties, filters
 * and temperature, as OpenAI reports them.
 *
 * <p><b>Costs</b> (V = vocabulary size): steps 1-4 are O(V) plus O(|bias| + distinct seen tokens); with
 * no filter, one {@code exp} per token and a linear walk; the filters' costs are in
 * {@link CandidateFilters} (top-k is a bounded heap; top-p without top-k sorts only the tokens near its
 * boundary, all V only as a fallback for thousands of exactly tied logits); log-probabilities add one
 * {@code exp} per token. The whole-row exponentials and the draw's search are vector passes of
 * {@link dev.switchyard.kernels.cpu.LogitMath}, the same bits compiled or interpreted. At V = 152k on
 * one core of a busy two-core machine ({@code SamplerBenchmark}, temperature 0.7): greedy about 0.14 ms
 * per token, temperature alone 0.26 ms (0.9 with {@link Math#exp} in a scalar loop), top-p 0.9 0.73 ms
 * (1.24; 0.28 on a peaked row), top-k 40 0.33 ms, top-p with 5 log-probabilities 1.2 ms (3.4). Nothing
 * is allocated per token:
 * scratch arrays come from the {@link SamplingScratch} (20 bytes per vocabulary entry, shareable by the
 * samplers of one thread), penalty state (16 bytes per entry) exists only when a penalty is set.
 *
 * <p>Not thread-safe: one sequence, one thread at a time.
 */
public final class Sampler {

    public static final String RANDOM_ALGORITHM = "L64X128MixRandom";
    /** The most best tokens {@link #candidatesNeeded()} asks a backend for. */
    public static final int MAX_CANDIDATES = Backend.MAX_TOP_ROWS;

    private static final RandomGeneratorFactory<RandomGenerator> RANDOMS = RandomGeneratorFactory.of(RANDOM_ALGORITHM);
    private static final SecureRandom SEEDS = new SecureRandom();
    /** {@link #filter} result meaning "every token, in id order". */
    private static final int ALL = -1;

    private final SamplingParams params;
    private final int vocabSize;
    private final long seed;
    private final RandomGenerator random;
    private final SamplingScratch scratch;
    private final PenaltyState penalties;
    private final int[] biasIds;
    private final double[] biasValues;
    private final int[] stopIds;
    private final double inverseTemperature;
    /** Whether the row is scaled by the inverse temperature before the filters (then the draw is at 1). */
    private final boolean temperatureFirst;
    /** Post-sampling log-probabilities: the last draw's distribution, kept when they are reported. */
    private final boolean post;
    private int postToken;
    private double postLogprob;
    private int postRank;
    private final int[] postIds = new int[SamplingParams.MAX_LOGPROBS];
    private final double[] postLogprobs = new double[SamplingParams.MAX_LOGPROBS];
    private int postCount;
    private final double logMinP;
    /** Null unless the output must follow a format. */
    private final TokenConstraint constraint;
    /** Null unless the request restricts tokens ({@link TokenRestrictions}). */
    private final TokenBans bans;
    /** Null unless DRY is on. */
    private final DryPenalty dry;
    /** Whether a masking filter of {@link SamplerExtras} is on. */
    private final boolean masks;
    /** Null unless Mirostat is on (and the sampler is not greedy). */
    private final MirostatState mirostat;
    /** Null unless dynamic temperature is on (and the sampler is not greedy). */
    private final SamplerExtras.DynamicTemperature dynamicTemperature;

    /** A sampler with its own scratch. */
    public Sampler(SamplingParams params, int vocabSize) {
        this(params, vocabSize, new SamplingScratch(vocabSize));
    }

    /**
     * A sampler using {@code scratch}, which other samplers called from the same thread may share.
     *
     * @throws IllegalArgumentException if a token id in {@code logit_bias} or {@code stop_token_ids} is
     *                                  outside the vocabulary, or the scratch is for another size
     */
    public Sampler(SamplingParams params, int vocabSize, SamplingScratch scratch) {
        this(params, vocabSize, scratch, null);
    }

    /**
     * As above, with the output held to {@code constraint} (null for none): a token it refuses is
     * never chosen. The token sampling would choose is asked about first; only when it is refused
     * are all tokens asked, the refused ones masked and the choice made again among the rest (the
     * same distribution as masking first: the refused tokens' mass is spread as renormalizing does).
     * Generation stops as soon as the constraint is {@linkplain TokenConstraint#finished finished}.
     */
    public Sampler(SamplingParams params, int vocabSize, SamplingScratch scratch, TokenConstraint constraint) {
        this(params, vocabSize, scratch, constraint, new int[0]);
    }

    /**
     * As above, knowing the model's end-of-generation tokens, which {@code min_tokens} bans (unless
     * EOS is ignored) besides the request's stop token ids until that many tokens are generated.
     */
    public Sampler(SamplingParams params, int vocabSize, SamplingScratch scratch, TokenConstraint constraint,
                   int[] endOfGeneration) {
        this.params = params;
        this.constraint = constraint;
        this.vocabSize = vocabSize;
        if (scratch.vocabSize() != vocabSize) {
            throw new IllegalArgumentException("scratch is for " + scratch.vocabSize()
                    + " tokens, the vocabulary has " + vocabSize);
        }
        this.scratch = scratch;
        this.seed = params.seed() != null ? params.seed() : SEEDS.nextLong();
        this.random = RANDOMS.create(seed);
        this.penalties = params.hasPenalties() ? new PenaltyState(params, vocabSize) : null;

        Map<Integer, Double> bias = params.logitBias();
        this.biasIds = bias.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        this.biasValues = new double[biasIds.length];
        for (int i = 0; i < biasIds.length; i++) {
            checkInVocabulary("logit_bias", biasIds[i]);
            biasValues[i] = bias.get(biasIds[i]);
        }
        this.stopIds = params.stopTokenIds().stream().mapToInt(Integer::intValue).sorted().toArray();
        for (int id : stopIds) {
            checkInVocabulary("stop_token_ids", id);
        }
        TokenRestrictions restrictions = params.restrictions();
        if (restrictions.none()) {
            this.bans = null;
        } else {
            int[] stops = params.ignoreEos() ? stopIds
                    : java.util.stream.IntStream.concat(Arrays.stream(stopIds), Arrays.stream(endOfGeneration)).distinct()
                    .toArray();
            this.bans = new TokenBans(restrictions, vocabSize, stops);
        }
        this.dry = params.extras().dry().on() ? new DryPenalty(params.extras().dry(), vocabSize) : null;
        this.masks = params.extras().masks();
        this.mirostat = params.extras().mirostat().on() && !params.isGreedy()
                ? new MirostatState(params.extras().mirostat(), vocabSize) : null;
        this.dynamicTemperature = params.extras().dynamicTemperature().on() && !params.isGreedy()
                ? params.extras().dynamicTemperature() : null;
        this.inverseTemperature = params.isGreedy() ? 0 : 1 / params.temperature();
        this.temperatureFirst = params.extras().temperatureFirst() && !params.isGreedy() && mirostat == null
                && dynamicTemperature == null;
        this.post = params.postSamplingLogprobs() && params.logprobs() >= 0 && mirostat == null;
        this.logMinP = params.minP() > 0 ? Math.log(params.minP()) : Double.NEGATIVE_INFINITY;
    }

    private void checkInVocabulary(String field, int token) {
        if (token >= vocabSize) {
            throw new IllegalArgumentException(field + " token id " + token
                    + " is outside the vocabulary of " + vocabSize + " tokens");
        }
    }

    public SamplingParams params() {
        return params;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The seed of this sequence's random stream: the request's, or the one drawn for it. */
    public long seed() {
        return seed;
    }

    /** Registers prompt tokens: the repetition penalty applies to them (presence/frequency do not). */
    public void addPromptTokens(int[] tokens) {
        for (int token : tokens) {
            checkToken(token);
            if (penalties != null) {
                penalties.addPromptToken(token);
            }
            if (dry != null) {
                dry.add(token);
            }
        }
    }

    /** Records a generated token for the penalties and the constraint; the engine calls it once per token it emits. */
    public void accept(int token) {
        checkToken(token);
        if (penalties != null) {
            penalties.addGeneratedToken(token);
        }
        if (constraint != null) {
            constraint.accept(token);
        }
        if (bans != null) {
            bans.accept(token);
        }
        if (dry != null) {
            dry.add(token);
        }
    }

    /**
     * Whether generation stops after {@code token}: it is one of {@code stop_token_ids}, or it is an
     * end-of-generation token of the model ({@code endOfGeneration}, which the tokenizer knows) and
     * {@code ignore_eos} is off.
     */
    public boolean isStopToken(int token, boolean endOfGeneration) {
        return (endOfGeneration && !params.ignoreEos()) || isRequestStopToken(token)
                || (constraint != null && constraint.finished());
    }

    /** Whether {@code token} is one of the request's {@code stop_token_ids}. */
    public boolean isRequestStopToken(int token) {
        return Arrays.binarySearch(stopIds, token) >= 0;
    }

    /** The next token; see the class comment for the steps. */
    public int sample(float[] logits) {
        return sample(logits, null);
    }

    /**
     * The next token, and, when {@code logprobs} is not null, its log-probability and the
     * {@code max(0, params().logprobs())} most probable tokens' under the raw distribution, written
     * into {@code logprobs}.
     *
     * @throws IllegalArgumentException if {@code logits} is not vocabulary-sized, holds NaN or +infinity,
     *                                  or masks every token
     */
    public int sample(float[] logits, TokenLogprobs logprobs) {
        float[] work = scratch.work;
        int best = adjust(logits, work);
        if (temperatureFirst) {
            scaleByTemperature(work);
        }
        if (masks && mirostat == null && !params.isGreedy()) {
            best = mask(work);
        }
        int token = choose(work, best);
        if (constraint != null && !constraint.allows(token)) {
            token = chooseAllowed(work);
        }
        if (mirostat != null) {
            mirostat.learn();
        }
        if (logprobs != null) {
            if (post) {
                reportPost(logprobs);
            } else {
                logprobs.fill(logits, vocabSize, token, Math.max(0, params.logprobs()));
            }
        }
        return token;
    }

    /** The last draw's distribution into {@code logprobs}: its token, and the most probable survivors. */
    private void reportPost(TokenLogprobs logprobs) {
        logprobs.setChosen(postToken, postLogprob, postRank);
        int count = Math.min(postCount, Math.max(0, params.logprobs()));
        System.arraycopy(postIds, 0, logprobs.topIdsBuffer(), 0, count);
        System.arraycopy(postLogprobs, 0, logprobs.topLogprobsBuffer(), 0, count);
        logprobs.setTopCount(count);
    }

    /** A draw that could only give {@code token}: probability 1, the one survivor that counts. */
    private int certain(int token) {
        if (post) {
            postToken = token;
            postLogprob = 0;
            postRank = 1;
            postIds[0] = token;
            postLogprobs[0] = 0;
            postCount = 1;
        }
        return token;
    }

    /**
     * Keeps the distribution a draw chose survivor {@code chosen} from: survivors' {@code weights}
     * (of {@code count}; every token where {@code all}, else {@code keys}' ids) over {@code total}.
     * The most probable are found by insertion into a sorted run of at most 20, equal ones in
     * survivor order.
     */
    private void keepPost(float[] weights, int count, boolean all, double total, int chosen) {
        long[] keys = scratch.keys;
        int limit = Math.min(Math.max(0, params.logprobs()), postIds.length);
        float mine = weights[chosen];
        int above = 0;
        int n = 0;
        for (int i = 0; i < count; i++) {
            float w = weights[i];
            if (w > mine) {
                above++;
            }
            if (limit == 0 || !(w > 0)) {
                continue;
            }
            if (n == limit) {
                if (!(w > postLogprobs[n - 1])) {
                    continue;
                }
                n--;
            }
            int pos = n++;
            while (pos > 0 && w > postLogprobs[pos - 1]) {
                postLogprobs[pos] = postLogprobs[pos - 1];
                postIds[pos] = postIds[pos - 1];
                pos--;
            }
            postLogprobs[pos] = w; // the weight for now; its log-probability below
            postIds[pos] = all ? i : CandidateFilters.id(keys[i]);
        }
        double logTotal = Math.log(total);
        for (int i = 0; i < n; i++) {
            postLogprobs[i] = Math.log(postLogprobs[i]) - logTotal;
        }
        postCount = n;
        postToken = all ? chosen : CandidateFilters.id(keys[chosen]);
        postLogprob = Math.log(mine) - logTotal;
        postRank = above + 1;
    }

    /**
     * How many of a row's best tokens decide what {@link #sample(float[], TokenLogprobs)} returns and
     * reports, so that a backend's {@code topRows} (with the row's log-sum) stands in for the row
     * ({@link #takeCandidates}); 0 when the whole row is needed. Without logit bias and penalties
     * (which change the order): greedy needs the best token and the alternatives asked for; sampling
     * with top-k (below the vocabulary size) needs the k best, since top-p, min-p and temperature then
     * look at those alone. Top-p or min-p without top-k need the row: the nucleus is cut by mass over
     * the whole vocabulary. At most {@link #MAX_CANDIDATES}.
     */
    public int candidatesNeeded() {
        if (biasIds.length > 0 || penalties != null || constraint != null || bans != null || params.extras().any()) {
            return 0;
        }
        int needed = Math.max(1, params.logprobs());
        if (!params.isGreedy()) {
            int topK = params.topK();
            if (topK <= 0 || topK >= vocabSize) {
                return 0;
            }
            needed = Math.max(needed, topK);
        }
        needed = Math.min(needed, vocabSize);
        return needed <= MAX_CANDIDATES ? needed : 0;
    }

    /**
     * What {@link #sample(float[], TokenLogprobs)} returns and reports, taken from the row's best
     * tokens when {@link #candidatesNeeded()} is not 0: the same token for the same logits, the same
     * random draw, and log-probabilities that differ from the row's only by the order the backend
     * summed the row's exponentials in (bit for bit on the CPU backend).
     *
     * @throws IllegalStateException    when the sampler needs the whole row
     * @throws IllegalArgumentException when fewer candidates are given than it needs, or a candidate is
     *                                  outside the vocabulary
     */
    public int takeCandidates(RowCandidates candidates, TokenLogprobs logprobs) {
        int needed = candidatesNeeded();
        if (needed == 0) {
            throw new IllegalStateException("this sampler needs the whole row of logits");
        }
        if (candidates.count() < needed) {
            throw new IllegalArgumentException("this sampler needs the best " + needed + " tokens, got "
                    + candidates.count());
        }
        for (int i = 0; i < needed; i++) {
            checkToken(candidates.id(i));
        }
        float max = candidates.value(0);
        int token;
        if (params.isGreedy()) {
            token = certain(candidates.id(0));
        } else {
            // the k best, best first, are what selectTopK leaves: the filters and the draw see only them
            float[] work = scratch.work;
            long[] keys = scratch.keys;
            int topK = params.topK();
            for (int i = 0; i < topK; i++) {
                work[candidates.id(i)] = candidates.value(i);
                keys[i] = CandidateFilters.key(candidates.value(i), candidates.id(i));
            }
            token = drawAmong(work, max, CandidateFilters.cutSortedPrefix(work, keys, topK, params.topP(), logMinP,
                    scratch.weights));
        }
        if (logprobs != null && post) {
            reportPost(logprobs);
        } else if (logprobs != null) {
            int chosen = 0;
            while (candidates.id(chosen) != token) {
                chosen++;
            }
            // every token more probable than the chosen one is among the candidates, best first
            int above = 0;
            while (candidates.value(above) > candidates.value(chosen)) {
                above++;
            }
            logprobs.setChosen(token, (double) candidates.value(chosen) - max - candidates.logZ(), above + 1);
            int count = Math.min(Math.max(0, params.logprobs()), vocabSize);
            int[] ids = logprobs.topIdsBuffer();
            double[] values = logprobs.topLogprobsBuffer();
            for (int i = 0; i < count; i++) {
                ids[i] = candidates.id(i);
                values[i] = (double) candidates.value(i) - max - candidates.logZ();
            }
            logprobs.setTopCount(count);
        }
        return token;
    }

    /** Steps 1-3 into {@code work}; returns the argmax (lowest id among ties). */
    private int adjust(float[] logits, float[] work) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("expected " + vocabSize + " logits, got " + logits.length);
        }
        for (int i = 0; i < vocabSize; i++) {
            float l = logits[i];
            if (!(l < Float.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("logit of token " + i + " is " + l);
            }
            work[i] = l;
        }
        for (int i = 0; i < biasIds.length; i++) {
            int t = biasIds[i];
            work[t] = (float) (work[t] + biasValues[i]);
        }
        if (penalties != null) {
            penalties.apply(work);
        }
        if (dry != null) {
            dry.apply(work);
        }
        if (bans != null) {
            bans.apply(work);
        }
        int best = argmax(work);
        if (work[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every token's logit is -infinity: nothing can be sampled");
        }
        return best;
    }

    /**
     * {@link SamplerExtras}' masking filters of the whole row, in llama.cpp's order (top-n-sigma,
     * typical), at temperature 1; returns the new argmax. (XTC comes after the truncations, in
     * {@link #draw}.)
     */
    private int mask(float[] work) {
        SamplerExtras x = params.extras();
        if (x.topNSigma() > 0) {
            MaskingFilters.topNSigma(work, vocabSize, x.topNSigma());
        }
        if (x.typicalP() < 1) {
            MaskingFilters.typical(work, vocabSize, x.typicalP(), scratch.keys, scratch.weights, scratch.bucketMass);
        }
        return argmax(work);
    }

    /** Masks every token the constraint refuses and chooses again among the rest. */
    private int chooseAllowed(float[] work) {
        constraint.mask(work);
        int best = argmax(work);
        if (work[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("the output's format allows no token the model can write here");
        }
        return choose(work, best);
    }

    /**
     * Temperature first: the adjusted row times the inverse temperature, so the filters see the
     * distribution the draw will (a positive factor keeps the order, and masked tokens masked).
     */
    private void scaleByTemperature(float[] work) {
        float inverse = (float) inverseTemperature;
        for (int i = 0; i < vocabSize; i++) {
            work[i] *= inverse;
        }
    }

    /** The largest of the row, the lowest id among equals. */
    private int argmax(float[] work) {
        int best = 0;
        for (int i = 1; i < vocabSize; i++) {
            if (work[i] > work[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Steps 4 and 6-12 over the adjusted (and masked) row whose argmax is {@code best}. */
    private int choose(float[] work, int best) {
        if (params.isGreedy()) {
            return certain(best);
        }
        if (mirostat != null) {
            return mirostat.choose(work, best, inverseTemperature, random, scratch);
        }
        return draw(work, work[best]);
    }

    /** Steps 7-9: the survivors in {@code scratch.keys[0..n)}, n returned, or {@link #ALL}. */
    private int filter(float[] work, float max) {
        int topK = params.topK();
        double topP = params.topP();
        long[] keys = scratch.keys;
        if (topK > 0 && topK < vocabSize) {
            CandidateFilters.selectTopK(work, vocabSize, topK, keys);
            return CandidateFilters.cutSortedPrefix(work, keys, topK, topP, logMinP, scratch.weights);
        }
        if (topP < 1) {
            return CandidateFilters.nucleus(work, vocabSize, max, topP, logMinP, scratch);
        }
        if (logMinP > Double.NEGATIVE_INFINITY) {
            return CandidateFilters.minP(work, vocabSize, max, logMinP, keys);
        }
        return ALL;
    }

    /** Steps 7-12. */
    private int draw(float[] work, float max) {
        int n = filter(work, max);
        SamplerExtras x = params.extras();
        if (x.xtcProbability() > 0 && (x.xtcProbability() >= 1 || random.nextDouble() < x.xtcProbability())) {
            MaskingFilters.xtc(work, vocabSize, max, n == ALL ? null : scratch.keys, n, x.xtcThreshold());
        }
        return drawAmong(work, max, n);
    }

    /** Steps 11-12 over the survivors of {@link #filter}: {@code keys[0..n)}, or every token for {@link #ALL}. */
    private int drawAmong(float[] work, float max, int n) {
        boolean all = n == ALL;
        int count = all ? vocabSize : n;
        long[] keys = scratch.keys;
        float[] weights = scratch.weights;
        double inverse = temperatureFirst ? 1 : dynamicTemperature == null ? inverseTemperature
                : dynamicInverseTemperature(work, max, n);
        if (inverse == Double.POSITIVE_INFINITY) {
            return certain(bestAmong(work, max, n));
        }
        double total;
        if (all) {
            total = LogitMath.expInto(work, vocabSize, max, inverse, weights);
        } else {
            total = 0;
            for (int i = 0; i < count; i++) {
                float w = (float) LogitMath.exp(((double) work[CandidateFilters.id(keys[i])] - max) * inverse);
                weights[i] = w;
                total += w;
            }
        }
        // total >= 1: the maximum always survives, with weight exp(0).
        int found = LogitMath.walk(weights, count, random.nextDouble() * total);
        if (found < 0) {
            // Rounding left the target at the very top: the last candidate with any weight.
            found = count - 1;
            while (!(weights[found] > 0)) {
                found--;
            }
        }
        if (post) {
            keepPost(weights, count, all, total, found);
        }
        return all ? found : CandidateFilters.id(keys[found]);
    }

    /**
     * Dynamic temperature's inverse for the survivors of {@link #filter} ({@code n}, or {@link #ALL}):
     * {@code T = lo + (hi - lo) (H / ln m)^exponent} over their temperature-1 distribution's entropy
     * {@code H} and their number {@code m}, {@code lo = max(0, T - range)}, {@code hi = T + range}; the
     * request's own when fewer than two survive. Positive infinity when T comes to 0.
     */
    private double dynamicInverseTemperature(float[] work, float max, int n) {
        boolean all = n == ALL;
        int count = all ? vocabSize : n;
        double total = 0;
        double weighted = 0;
        int alive = 0;
        for (int i = 0; i < count; i++) {
            double d = (double) work[all ? i : CandidateFilters.id(scratch.keys[i])] - max;
            if (d > Double.NEGATIVE_INFINITY) {
                double w = Math.exp(d);
                total += w;
                weighted += w * d;
                alive++;
            }
        }
        if (alive < 2) {
            return inverseTemperature;
        }
        double normalizedEntropy = (Math.log(total) - weighted / total) / Math.log(alive);
        double t = params.temperature();
        double range = dynamicTemperature.range();
        double lo = Math.max(0, t - range);
        double dynamic = lo + (t + range - lo) * Math.pow(Math.max(0, normalizedEntropy), dynamicTemperature.exponent());
        return 1 / dynamic;
    }

    /** The survivor with the largest logit, lowest id among ties. */
    private int bestAmong(float[] work, float max, int n) {
        if (n == ALL) {
            int i = 0;
            while (work[i] != max) {
                i++;
            }
            return i;
        }
        int best = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            int id = CandidateFilters.id(scratch.keys[i]);
            if (work[id] == max && id < best) {
                best = id;
            }
        }
        return best;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of "
                    + vocabSize + " tokens");
        }
    }

    // ---- for tests: the intermediate states of one step, without touching the random stream ----

    /** The logits after bias and penalties (steps 1-3), as a fresh array. */
    float[] adjustedLogits(float[] logits) {
        adjust(logits, scratch.work);
        return Arrays.copyOf(scratch.work, vocabSize);
    }

    /** The token ids that survive top-k, top-p and min-p (steps 1-3 and 7-9), ascending. */
    int[] candidates(float[] logits) {
        float[] work = scratch.work;
        int best = adjust(logits, work);
        int n = filter(work, work[best]);
        if (n == ALL) {
            int[] all = new int[vocabSize];
            Arrays.setAll(all, i -> i);
            return all;
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = CandidateFilters.id(scratch.keys[i]);
        }
        Arrays.sort(ids);
        return ids;
    }

    /** The temperature the next draw would use: the request's, or dynamic temperature's for these logits. */
    double drawTemperature(float[] logits) {
        float[] work = scratch.work;
        int best = adjust(logits, work);
        int n = filter(work, work[best]);
        return 1 / (dynamicTemperature == null ? inverseTemperature : dynamicInverseTemperature(work, work[best], n));
    }

    /** Mirostat's surprise bound now, or NaN when it is off. */
    double mirostatMu() {
        return mirostat == null ? Double.NaN : mirostat.mu();
    }

    /** How many times {@code token} was generated, as the frequency penalty sees it. */
    int generatedCount(int token) {
        return penalties == null ? 0 : penalties.generatedCount(token);
    }
}
