package dev.switchyard.engine.schedule;

import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.moe.CapacityGroups;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.sampling.RowCandidates;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingScratch;
import dev.switchyard.engine.sampling.TokenLogprobs;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * Iteration-level continuous batching over one transformer and its paged KV cache (the scheme of
 * Orca and vLLM): every {@link #step()} forms a new batch from whatever is running and waiting.
 *
 * <p><b>One step</b>, with a budget of {@code maxTokens} rows:
 * <ol>
 * <li>Aborted sequences leave and free their blocks.</li>
 * <li>Running sequences that are decoding, in order, add their one token. When the cache has no
 *     block for it, the last running sequence is preempted (its blocks freed, its progress kept,
 *     recomputed later), down to the sequence itself.</li>
 * <li>Running sequences still in prefill (or recompute), in order, add a chunk; when blocks run
 *     out they may preempt later sequences that have no row in this step yet.</li>
 * <li>Waiting sequences, in order (a preempted one ahead of those that arrived after it), are
 *     admitted into free slots while rows and blocks remain; admission stops at the first that does
 *     not fit. Nothing is admitted in a step where a running sequence went short of blocks. With
 *     prefix caching, a choice whose twin (another choice of its request with the same prompt) is
 *     computing that prompt is passed over until the twin has, then takes the prompt's blocks from
 *     the cache ({@link #awaitsTwin}).</li>
 * </ol>
 * The order is arrival (first come, first served) among sequences of equal priority
 * ({@link GenerationRequest#priority()}); a more urgent one goes first, and before step 2 the last
 * running sequences give way to the most urgent waiting one while it is more urgent than they and
 * lacks a slot or blocks. Where all priorities are equal, that never happens.
 * With capacity-aware dispatch in sequence scope, prompt chunks end only at capacity-window
 * boundaries or at the prompt's end; generated tokens (also when recomputed) are groups of their own.
 *
 * <p>With {@link Speculation} on, a decoding sequence may add, after step 2, rows for tokens it
 * proposes from its own text ({@link PromptLookup}) or from a draft model ({@link DraftModel}, every
 * such sequence's together, before the step; one whose proposals go unkept rests a while,
 * {@link #restAfterMisses}), while the step has rows and its blocks room
 * (proposals never preempt), as many as its last proposal kept plus one ({@link Speculation#nextLimit}). After the step its rows are sampled in order: a proposed token's row
 * counts only while each proposed token so far is the one the sampler chose, and its keys and
 * values are then kept; the sequence goes on from the first that was not. The sampler draws once
 * per emitted token as it would have without speculation, and a row's logits do not depend on the
 * others, so the output is unchanged; only how many steps it takes.
 *
 * <p>A sequence that asks for its prompt's log-probabilities
 * ({@link GenerationRequest#promptLogprobs()}) has every prompt row's logits read (not only the
 * last's) and reports each position's token as that row predicted it, once, as its chunks are
 * computed; it takes nothing from the prefix cache until all are reported, and with no tokens to
 * generate it ends when its prompt is fed.
 *
 * <p>Where the KV cache reuses prefixes ({@link KvCache#cachesPrefixes()}), a sequence joining the
 * batch takes the blocks the cache still holds for its first tokens (another request's same
 * system prompt or conversation so far, or its own before it was preempted) and computes from
 * there, always at least its last known token, whose logits it needs; after each step the full
 * blocks written are offered to the cache. Dropless dispatch only: under capacity limits a
 * position's keys depend on the other tokens of its capacity group, not on its prefix alone.
 * Because the model's arithmetic for a row does not depend on the other rows, a sequence's tokens are
 * identical whatever it shares steps with, however its prompt is chunked and however often it is
 * preempted.
 *
 * <p>Progress: the first running sequence can always take every block (a request that does not fit
 * the whole pool is refused before it is added), so some sequence always advances.
 *
 * <p>Not thread-safe: one thread drives it, except {@link ActiveSequence#requestAbort()}.
 */
public final class ContinuousBatcher {

    private final Transformer transformer;
    private final KvCache kv;
    private final IntPredicate endOfGeneration;
    private final SchedulerObserver observer;
    private final LongSupplier clock;
    private final StepBatch batch;
    private final float[][] logits;
    private final ActiveSequence[] logitOwner;
    private final TokenLogprobs logprobs = new TokenLogprobs();
    private final RowCandidates candidates = new RowCandidates();
    /** Shared by every sequence's sampler: sampling happens on this batcher's thread only. */
    private final SamplingScratch scratch;
    private final int chunkWindow;
    /** Whether a position's keys and values depend on its sequence's tokens up to it alone (dropless dispatch). */
    private final boolean prefixDetermined;
    private final int contextLength;
    private final boolean[] slotInUse;
    /** Per logit row: whether it is a proposed token's (speculative decoding). */
    private final boolean[] draftRow;
    /** Per hidden-state row: the embedding sequence it belongs to. */
    private final ActiveSequence[] hiddenOwner;
    /** Per logit row: whether it scores the next prompt token (prompt log-probabilities) rather than sampling. */
    private final boolean[] promptRow;
    private final int vocabSize;
    /** The model's end-of-generation tokens, which min_tokens holds back. */
    private final int[] endOfGenerationIds;
    private Speculation speculation = Speculation.NONE;
    /**
     * Whether a request's predicted output may propose tokens: not under capacity limits across the
     * batch, where a sequence's extra rows would change what the others route to.
     */
    private final boolean predictionsAllowed;
    /** Whether the model's blocks carry a recurrent state (Qwen3.5's delta net). */
    private final boolean recurrent;
    private PromptLookup lookup;
    /** Proposals by a draft model instead of prompt lookup; null for none. */
    private DraftModel draft;
    // per step: the sequences that may propose, their room and how many they proposed
    private ActiveSequence[] proposers = new ActiveSequence[0];
    private int[] proposalRoom = new int[0];
    private int[] proposalCount = new int[0];
    /** Running sequences, most urgent first ({@link ActiveSequence#before}): the last is the first to give way. */
    private final List<ActiveSequence> running = new ArrayList<>();
    /** Waiting sequences in the same order (a preempted one returns to its place, ahead of later arrivals). */
    private final List<ActiveSequence> waiting = new ArrayList<>();
    /** Sequences added so far: the next one's arrival number. */
    private long arrivals;
    private long preemptions;
    private long steps;
    /** Whether a running sequence went short of blocks in this step (then nothing is admitted). */
    private boolean shortOfBlocks;

    public ContinuousBatcher(Transformer transformer, KvCache kv, IntPredicate endOfGeneration,
                             SchedulerObserver observer, LongSupplier clock) {
        if (transformer.maxSequences() > transformer.maxTokens()) {
            throw new IllegalArgumentException("a step must hold one decode token of every sequence: max sequences "
                    + transformer.maxSequences() + " > max step tokens " + transformer.maxTokens());
        }
        this.transformer = transformer;
        this.kv = kv;
        this.endOfGeneration = endOfGeneration;
        this.observer = observer;
        this.clock = clock;
        this.batch = new StepBatch(transformer.maxTokens());
        this.logits = new float[transformer.maxTokens()][transformer.config().vocabSize()];
        this.logitOwner = new ActiveSequence[transformer.maxTokens()];
        this.draftRow = new boolean[transformer.maxTokens()];
        this.hiddenOwner = new ActiveSequence[transformer.maxTokens()];
        this.promptRow = new boolean[transformer.maxTokens()];
        this.vocabSize = transformer.config().vocabSize();
        this.endOfGenerationIds = java.util.stream.IntStream.range(0, vocabSize).filter(endOfGeneration).toArray();
        this.scratch = new SamplingScratch(transformer.config().vocabSize());
        this.contextLength = transformer.config().contextLength();
        this.slotInUse = new boolean[transformer.maxSequences()];
        DispatchConfig dispatch = transformer.dispatchConfig();
        boolean windowed = transformer.config().isMoe() && dispatch.capacityLimited()
                && dispatch.scope() == CapacityScope.SEQUENCE;
        this.chunkWindow = windowed ? dispatch.window() : 0;
        this.prefixDetermined = !(transformer.config().isMoe() && dispatch.capacityLimited());
        this.recurrent = transformer.config().carriesRecurrentState();
        this.predictionsAllowed = !(transformer.config().isMoe() && dispatch.capacityLimited()
                && dispatch.scope() != CapacityScope.SEQUENCE);
        if (windowed && transformer.maxTokens() < dispatch.window()) {
            throw new IllegalArgumentException("a step of " + transformer.maxTokens()
                    + " tokens cannot hold a capacity window of " + dispatch.window() + " positions");
        }
    }

    /**
     * Turns speculative decoding on ({@link Speculation#NONE}: off); call before any sequence runs.
     *
     * <p>On a model whose blocks carry a recurrent state, each sequence's state is kept before its
     * proposals are computed; where the sampler rejects some, the state goes back there and the kept
     * tokens are computed again in the next step (their keys and values come out the same).
     *
     * @throws IllegalArgumentException under capacity limits across the batch, where a sequence's
     *                                  extra rows would change what the others route
     */
    public void setSpeculation(Speculation speculation) {
        if (speculation.enabled() && transformer.config().isMoe() && transformer.dispatchConfig().capacityLimited()
                && transformer.dispatchConfig().scope() != CapacityScope.SEQUENCE) {
            throw new IllegalArgumentException("speculative decoding needs capacity groups per sequence: with "
                    + "--capacity-scope batch, proposed tokens would change what other requests' tokens route to");
        }
        if (speculation.enabled() && recurrent && !transformer.keepsSpeculationStates()) {
            // a rejected proposal cannot be taken out of a recurrent state: keep each state before its
            // proposals, to go back to and compute the kept tokens again
            transformer.keepSpeculationStates();
        }
        this.speculation = speculation;
        this.lookup = speculation.enabled() ? new PromptLookup(speculation) : null;
    }

    /**
     * Proposals come from {@code draft} instead of prompt lookup (null: lookup again); call after
     * {@link #setSpeculation} turned speculation on, before any sequence runs.
     *
     * @throws IllegalArgumentException if speculation is off, or the draft follows fewer sequence
     *                                  slots than this batcher runs
     */
    public void setDraft(DraftModel draft) {
        if (draft != null && !speculation.enabled()) {
            throw new IllegalArgumentException("a draft model proposes tokens for speculative decoding: turn it on "
                    + "(speculative tokens above 0)");
        }
        if (draft != null && draft.slots() < slotInUse.length) {
            throw new IllegalArgumentException("the draft model follows " + draft.slots() + " sequences, fewer than the "
                    + slotInUse.length + " this batcher runs");
        }
        this.draft = draft;
    }

    /**
     * The most positions one sequence may use: the model's context, or the whole KV pool if smaller.
     * A longer request could never run, so callers refuse it up front.
     */
    public int maxSequencePositions() {
        return Math.min(contextLength, kv.capacityBlocks() * kv.blockSize());
    }

    /**
     * Checks a request against the model and the cache and prepares its sampler. Safe to call from any
     * thread: it reads only what never changes.
     *
     * @throws ContextLengthExceededException if prompt plus completion do not fit one sequence
     * @throws IllegalArgumentException       if a token id is outside the vocabulary, or the sampling
     *                                        parameters name one, or it applies an adapter not loaded
     */
    ActiveSequence prepare(GenerationRequest request, SequenceSink sink, long submittedNanos, Submission owner) {
        int[] prompt = request.prompt();
        int vocab = transformer.config().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab + " tokens");
            }
        }
        if (!transformer.adaptersLoaded(request.adapters())) {
            throw new IllegalArgumentException(notLoaded(request.adapters()));
        }
        int limit = maxSequencePositions();
        long wanted = (long) prompt.length + request.maxTokens();
        // a prompt may fill every position only when nothing follows it (it is only scored)
        if (prompt.length > limit || wanted > limit) {
            throw new ContextLengthExceededException(limit, prompt.length, request.maxTokens(),
                    limit < contextLength ? "the size of its KV cache" : "the model's context of " + contextLength);
        }
        Sampler sampler = new Sampler(request.sampling(), vocab, scratch,
                request.constraint() == null ? null : request.constraint().get(), endOfGenerationIds);
        sampler.addPromptTokens(prompt);
        return new ActiveSequence(request, sampler, sink, submittedNanos, owner);
    }

    /**
     * Checks a request as {@link #add(GenerationRequest, SequenceSink)} would, queueing nothing.
     *
     * @throws IllegalArgumentException as {@link #prepare} does
     */
    public void check(GenerationRequest request) {
        prepare(request, null, 0, null);
    }

    /**
     * Checks and queues a sequence for a caller that drives this batcher itself.
     *
     * @throws IllegalArgumentException as {@link #prepare} does
     */
    public void add(GenerationRequest request, SequenceSink sink) {
        add(prepare(request, sink, clock.getAsLong(), null));
    }

    /** Names the first adapter {@code mix} applies that is not loaded. */
    private String notLoaded(dev.switchyard.engine.lora.LoraMix mix) {
        for (int a = 0; a < mix.span(); a++) {
            if (mix.scale(a) != 0 && !transformer.adapterLoaded(a)) {
                return "LoRA adapter " + a + " is not loaded";
            }
        }
        return "a LoRA adapter it applies is not loaded";
    }

    /**
     * Sequences, waiting or running, that apply LoRA adapter {@code adapter}: an adapter may be
     * unloaded only at none. Scheduler thread only, between steps.
     */
    public int sequencesApplying(int adapter) {
        int n = 0;
        for (ActiveSequence s : running) {
            n += s.request.adapters().scale(adapter) != 0 ? 1 : 0;
        }
        for (ActiveSequence s : waiting) {
            n += s.request.adapters().scale(adapter) != 0 ? 1 : 0;
        }
        return n;
    }

    /** Queues a prepared sequence; it joins a batch at a later step. */
    void add(ActiveSequence s) {
        if (!transformer.adaptersLoaded(s.request.adapters())) {
            // checked when it was prepared, but its adapter was unloaded before it got here
            fail(s, new IllegalArgumentException(notLoaded(s.request.adapters()) + " (it was unloaded)"));
            return;
        }
        if (s.request.maxTokens() == 0 && !s.scoringPrompt() && !s.embeds()) {
            finish(s, FinishReason.LENGTH);
            return;
        }
        if (s.arrival < 0) {
            s.arrival = arrivals++;
        }
        enqueue(waiting, s);
    }

    /** Inserts {@code s} into {@code list} (most urgent first) at its place. */
    private static void enqueue(List<ActiveSequence> list, ActiveSequence s) {
        int at = list.size();
        // new arrivals of equal priority go last: look from the end
        while (at > 0 && s.before(list.get(at - 1))) {
            at--;
        }
        list.add(at, s);
    }

    public boolean hasWork() {
        return !running.isEmpty() || !waiting.isEmpty();
    }

    public int runningCount() {
        return running.size();
    }

    public int waitingCount() {
        return waiting.size();
    }

    public long preemptions() {
        return preemptions;
    }

    /** Fraction of KV blocks in use. */
    public double kvUsage() {
        return 1.0 - (double) kv.freeBlocks() / kv.capacityBlocks();
    }

    /** Ends every sequence, running or waiting, with {@link FinishReason#ABORT}. */
    public void abortAll() {
        for (int i = running.size() - 1; i >= 0; i--) {
            finishRunning(i, FinishReason.ABORT);
        }
        while (!waiting.isEmpty()) {
            finish(waiting.removeFirst(), FinishReason.ABORT);
        }
    }

    /** Runs one iteration; does nothing when there is no work. */
    public void step() {
        removeAborted();
        batch.clear();
        steps++;
        shortOfBlocks = false;
        makeRoomForUrgent();
        addDecodeTokens();
        if (lookup != null || anyPredicting()) {
            addProposals();
        }
        addRunningChunks();
        if (!shortOfBlocks) {
            admitWaiting();
        }
        if (batch.tokens() == 0) {
            return;
        }
        try {
            transformer.step(batch, kv, logits);
        } catch (RuntimeException e) {
            failRunning(e);
            return;
        }
        long now = clock.getAsLong();
        for (int i = 0; i < batch.hiddenCount(); i++) {
            pool(hiddenOwner[i], batch.hiddenState(i));
            hiddenOwner[i] = null;
        }
        int drafted = 0;
        int kept = 0;
        for (int i = 0; i < batch.logitCount(); i++) {
            ActiveSequence s = logitOwner[i];
            if (promptRow[i]) {
                scorePrompt(s, batch.positionOf(batch.logitRow(i)), logits[i]);
                continue;
            }
            if (draftRow[i]) {
                drafted++;
                // the row counts while every token proposed before it was the one sampled
                if (!s.onDraft || s.finish != null || s.failure != null
                        || s.generated[s.count - 1] != batch.tokenAt(batch.logitRow(i))) {
                    s.onDraft = false;
                    continue;
                }
                s.fed++;
                s.kept++;
                kept++;
            } else if (s.finish != null || s.failure != null) {
                continue; // ended by an earlier row of this step (its prompt's scoring was aborted)
            }
            accept(s, batch.candidatesOf(i, candidates) ? null : logits[i], now);
        }
        if (drafted > 0) {
            observer.speculated(drafted, kept);
            for (int i = 0; i < running.size(); i++) {
                ActiveSequence s = running.get(i);
                if (s.proposed > 0) {
                    if (s.prediction != null) {
                        s.predictionAccepted += s.kept;
                        s.predictionRejected += s.proposed - s.kept;
                        // a prediction holds for long runs: twice as many while all are kept, back to
                        // one more than was kept where the reply departs from it
                        s.draftLimit = s.kept == s.proposed ? Math.min(Speculation.MAX_DRAFT_TOKENS, 2 * s.kept)
                                : s.kept + 1;
                    } else {
                        s.draftLimit = speculation.nextLimit(s.kept);
                        if (draft != null) {
                            restAfterMisses(s);
                        }
                    }
                    if (recurrent && s.kept < s.proposed && s.finish == null && s.failure == null) {
                        // the state went on through rejected tokens: back to before the decode row,
                        // which the next step computes again with the kept tokens after it
                        int decoded = s.fed - 1 - s.kept;
                        transformer.rewind(s.slot, decoded);
                        s.fed = decoded;
                    }
                    s.proposed = 0;
                }
            }
        }
        boolean remember = reusesPrefixes();
        for (int i = 0; i < running.size(); i++) {
            ActiveSequence s = running.get(i);
            if (s.request.maxTokens() == 0 && s.fed == s.promptLength() && s.finish == null && s.failure == null) {
                if (s.embeds() && !s.abortRequested()) {
                    deliverEmbedding(s);
                }
                // a prompt only scored, or embedded
                s.finish = s.abortRequested() ? FinishReason.ABORT : FinishReason.LENGTH;
            }
            if (remember) {
                kv.blocksWritten(s.slot, s, s.fed);
                if (recurrent && s.fed > 0 && (s.fed == stateBoundary(s) || s.fed == sharedBoundary(s))) {
                    kv.stateReached(s.slot, s.fed);
                } else if (recurrent && s.fed > stateBoundary(s) && s.fed % kv.blockSize() == 0) {
                    // generating: the sequence's latest whole block, in place of its previous one, so that a
                    // chat's next turn, which repeats the reply, goes on from near its end
                    kv.stateAdvanced(s.slot, s.generationCheckpoint, s.fed);
                    s.generationCheckpoint = s.fed;
                }
            }
            // windowed layers let go of the blocks no later window reaches (after they are remembered)
            kv.computesFrom(s.slot, s.fed);
        }
        for (int i = running.size() - 1; i >= 0; i--) {
            ActiveSequence s = running.get(i);
            if (s.failure != null) {
                fail(retire(i), s.failure);
            } else if (s.finish != null) {
                finish(retire(i), s.finish);
            }
        }
    }

    private void removeAborted() {
        for (int i = running.size() - 1; i >= 0; i--) {
            if (running.get(i).abortRequested()) {
                finishRunning(i, FinishReason.ABORT);
            }
        }
        for (Iterator<ActiveSequence> it = waiting.iterator(); it.hasNext(); ) {
            ActiveSequence s = it.next();
            if (s.abortRequested()) {
                it.remove();
                finish(s, FinishReason.ABORT);
            }
        }
    }

    /**
     * Priorities: while the most urgent waiting sequence is more urgent than the last running one and
     * lacks a slot or the blocks for its first chunk, that running sequence gives way (preempted, to
     * resume later). With equal priorities nothing happens here: first come, first served.
     */
    private void makeRoomForUrgent() {
        while (!waiting.isEmpty() && !running.isEmpty()) {
            ActiveSequence urgent = waiting.getFirst();
            ActiveSequence last = running.getLast();
            if (last.request.priority() <= urgent.request.priority()) {
                return;
            }
            int firstChunk = Math.min(urgent.known(), batch.capacity());
            int blocks = (firstChunk + kv.blockSize() - 1) / kv.blockSize();
            if (running.size() < slotInUse.length && kv.freeBlocks() >= blocks) {
                return;
            }
            preempt(running.size() - 1);
        }
    }

    /** Step 2 of the class comment. */
    private void addDecodeTokens() {
        for (int i = 0; i < running.size(); i++) {
            ActiveSequence s = running.get(i);
            if (!s.isDecoding()) {
                continue;
            }
            int position = s.fed;
            // Later sequences in the list have no row yet: any of them may give way.
            while (!kv.reserve(s.slot, position + 1)) {
                shortOfBlocks = true;
                preempt(running.size() - 1);
                if (running.size() <= i) {
                    break; // s itself was the last
                }
            }
            if (running.size() <= i) {
                break;
            }
            ownLogitRow(s, false, false);
            batch.add(s.slot, s.tokenAt(position), position, true, true, s.sampler.candidatesNeeded(), s.request.adapters());
            s.fed++;
            s.lastStep = steps;
            s.decodeStep = steps;
        }
    }

    /**
     * Speculative decoding: each sequence with a decode row in this step, in order, adds rows for
     * the tokens it proposes (from its own text, or from the draft model, all of whose sequences
     * propose together first), as many as the step's rows, its blocks (reserved without preempting),
     * its token limit and the context leave room for, so that all of them kept still fit.
     */
    private void addProposals() {
        int n = 0;
        int spare = batch.capacity() - batch.tokens();
        for (int i = 0; i < running.size(); i++) {
            ActiveSequence s = running.get(i);
            if (s.decodeStep != steps) {
                continue;
            }
            boolean predicted = s.prediction != null && predicts();
            if (!predicted && lookup == null) {
                continue;
            }
            int limit = s.draftLimit > 0 ? s.draftLimit : predicted ? Speculation.MAX_DRAFT_TOKENS : speculation.draftTokens();
            int room = Math.min(limit, spare);
            room = Math.min(room, Math.min(s.request.maxTokens() - s.count - 1, contextLength - s.known() - 1));
            if (room <= 0) {
                continue;
            }
            if (predicted) {
                // the request's own prediction, before any draft model or lookup in its own text
                if (s.draft.length < Speculation.MAX_DRAFT_TOKENS) {
                    s.draft = new int[Speculation.MAX_DRAFT_TOKENS];
                }
                spare -= addProposed(s, PredictionLookup.propose(s, s.draft, room));
                continue;
            }
            if (draft != null && s.draftRest > 0) {
                s.draftRest--;
                continue;
            }
            if (s.draft.length < speculation.draftTokens()) {
                s.draft = new int[speculation.draftTokens()];
            }
            if (proposers.length == n) {
                proposers = java.util.Arrays.copyOf(proposers, Math.max(4, 2 * n));
                proposalRoom = java.util.Arrays.copyOf(proposalRoom, proposers.length);
                proposalCount = java.util.Arrays.copyOf(proposalCount, proposers.length);
            }
            proposers[n] = s;
            proposalRoom[n++] = room;
        }
        if (n == 0) {
            return;
        }
        if (draft != null) {
            draft.propose(proposers, proposalRoom, n, proposalCount);
        }
        for (int i = 0; i < n; i++) {
            ActiveSequence s = proposers[i];
            proposers[i] = null;
            int room = Math.min(proposalRoom[i], batch.capacity() - batch.tokens());
            int proposed = draft != null ? Math.min(proposalCount[i], room) : room > 0 ? lookup.propose(s, s.draft, room) : 0;
            if (proposed == 0 && draft != null) {
                s.kept = 0;
                restAfterMisses(s); // a draft unsure of its next token is a miss too: its step was spent in vain
            }
            addProposed(s, proposed);
        }
    }

    /**
     * Adds rows for the first {@code proposed} of {@code s}'s proposed tokens where its blocks can be
     * reserved without preempting anyone; returns the rows added.
     */
    private int addProposed(ActiveSequence s, int proposed) {
        if (proposed == 0 || !kv.reserve(s.slot, s.fed + proposed)) {
            return 0;
        }
        if (recurrent) {
            transformer.saveBeforeProposals(s.slot); // as it stands before this step's decode row
        }
        for (int j = 0; j < proposed; j++) {
            ownLogitRow(s, true, false);
            batch.add(s.slot, s.draft[j], s.fed + j, true, true, s.sampler.candidatesNeeded(), s.request.adapters());
        }
        s.onDraft = true;
        s.proposed = proposed;
        s.kept = 0;
        return proposed;
    }

    /**
     * Whether requests' predicted outputs are proposed: not under capacity limits across the batch,
     * nor on a model that carries a recurrent state without room to take rejected proposals back.
     */
    private boolean predicts() {
        return predictionsAllowed && (!recurrent || transformer.keepsSpeculationStates());
    }

    /** Whether a running sequence proposes from its request's predicted output. */
    private boolean anyPredicting() {
        if (!predicts()) {
            return false;
        }
        for (int i = 0; i < running.size(); i++) {
            if (running.get(i).prediction != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * A draft model that the sampler keeps refusing would cost its sequence a row in vain every step
     * (and, in a MoE, the experts that row routes to), and one never sure enough to propose a draft
     * step: after {@code m} draft steps in a row that proposed nothing or nothing that was kept, the
     * sequence rests {@code 2^(m-1)} steps, at most {@value #MAX_DRAFT_REST}, before it asks the
     * draft again; one kept token ends the rest.
     */
    private static void restAfterMisses(ActiveSequence s) {
        if (s.kept > 0) {
            s.draftMisses = 0;
            s.draftRest = 0;
            return;
        }
        s.draftMisses = Math.min(s.draftMisses + 1, 31);
        s.draftRest = (int) Math.min(MAX_DRAFT_REST, 1L << (s.draftMisses - 1));
    }

    /** The most steps a sequence whose draft proposals go unkept rests between proposals. */
    static final int MAX_DRAFT_REST = 16;

    /** Step 3 of the class comment. */
    private void addRunningChunks() {
        for (int i = 0; i < running.size() && !batch.isFull(); i++) {
            ActiveSequence s = running.get(i);
            if (s.fed == s.known()) {
                continue; // a decode token added in step 2
            }
            int take = chunkLength(s, batch.capacity() - batch.tokens());
            if (take == 0) {
                continue;
            }
            // Preempt only sequences after s that hold no row in this step.
            while (!kv.reserve(s.slot, s.fed + take)) {
                shortOfBlocks = true;
                int last = running.size() - 1;
                if (last <= i || running.get(last).lastStep == steps) {
                    take = 0;
                    break;
                }
                preempt(last);
            }
            if (take > 0) {
                addChunk(s, take);
            }
        }
    }

    private boolean reusesPrefixes() {
        return prefixDetermined && kv.cachesPrefixes();
    }

    private void admitWaiting() {
        for (int w = 0; w < waiting.size() && !batch.isFull() && running.size() < slotInUse.length; ) {
            ActiveSequence s = waiting.get(w);
            if (awaitsTwin(s)) {
                w++;
                continue;
            }
            int slot = freeSlot();
            // the cache may hold this sequence's first blocks; its last known token is fed whatever
            // (a prompt still to be scored is computed whole: cached blocks have no logits)
            // an embedding reads hidden states that cached blocks do not hold, but the last token's,
            // which is always computed, is all a last-token pooling reads
            int reused = reusesPrefixes() && !s.scoringPrompt()
                    && (!s.embeds() || s.request.pooling() == dev.switchyard.engine.generate.Pooling.LAST)
                    ? kv.attachPrefix(slot, s, s.known() - 1, s.request.prefixScope()) : 0;
            s.fed = reused;
            s.sharedPrefix = kv.sharedPrefix(slot);
            s.generationCheckpoint = 0;
            int take = chunkLength(s, batch.capacity() - batch.tokens());
            if (take == 0 || !kv.reserve(slot, reused + take)) {
                kv.release(slot);
                s.fed = 0;
                return;
            }
            if (reused > 0) {
                observer.prefixReused(reused);
            }
            waiting.remove(w);
            s.slot = slot;
            slotInUse[slot] = true;
            enqueue(running, s);
            if (!s.admitted) {
                s.admitted = true;
                s.sink.onPrefixReused(Math.min(reused, s.promptLength()));
                observer.admitted(clock.getAsLong() - s.submittedNanos, s.promptLength());
                if (s.owner != null) {
                    s.owner.onAdmitted();
                }
            }
            addChunk(s, take);
        }
    }

    /**
     * Whether {@code s} waits for a twin: another sequence of its request (one of {@code n} choices)
     * with the same prompt that is running and has not sampled yet, i.e. is computing that prompt.
     * Once it has, {@code s} takes the prompt's blocks from the prefix cache and computes only its
     * last partial block, instead of computing the whole prompt beside it in the same steps.
     */
    private boolean awaitsTwin(ActiveSequence s) {
        if (s.owner == null || s.count > 0 || !reusesPrefixes() || s.scoringPrompt() || s.embeds()
                || s.promptLength() <= kv.blockSize()) {
            return false;
        }
        for (int i = 0; i < running.size(); i++) {
            ActiveSequence r = running.get(i);
            if (r.owner == s.owner && r.count == 0 && r.request.maxTokens() > 0
                    && java.util.Arrays.equals(r.request.prompt(), s.request.prompt())) {
                return true;
            }
        }
        return false;
    }

    /**
     * How many of {@code s}'s unfed tokens fit in {@code room} rows: prompt chunks end on a capacity
     * window boundary or at the prompt's end; generated tokens, each a group of its own, end anywhere.
     */
    private int chunkLength(ActiveSequence s, int room) {
        int take = unsavedChunkLength(s, room);
        if (!savesStates()) {
            return take;
        }
        // a model that carries a recurrent state saves it where the prompt's last whole block ends, so
        // that a later request starting the same way goes on from there, and where the prefix it shares
        // with an earlier prompt ends (a system prompt, say), so that the next one sharing it does: a
        // chunk stops at such a point
        int shared = sharedBoundary(s);
        if (s.fed < shared && s.fed + take > shared) {
            return shared - s.fed;
        }
        int last = stateBoundary(s);
        return s.fed < last && s.fed + take > last ? last - s.fed : take;
    }

    /**
     * Where the prefix the sequence's prompt shares with an earlier one ends, short of its last whole
     * block, if it computes that prefix itself (no state was saved there); 0 for none.
     */
    private int sharedBoundary(ActiveSequence s) {
        return s.sharedPrefix < stateBoundary(s) ? s.sharedPrefix : 0;
    }

    /** Whether sequences' recurrent states are saved for prefix reuse (Qwen3.5 with prefix caching on). */
    private boolean savesStates() {
        return recurrent && reusesPrefixes();
    }

    /** The last block boundary before the prompt's last token, where its state is saved; 0 for none. */
    private int stateBoundary(ActiveSequence s) {
        int block = kv.blockSize();
        return (Math.min(s.known(), s.promptLength()) - 1) / block * block;
    }

    private int unsavedChunkLength(ActiveSequence s, int room) {
        int remaining = s.known() - s.fed;
        int promptLength = s.promptLength();
        if (chunkWindow == 0 || s.fed >= promptLength) {
            return Math.min(remaining, room);
        }
        int inPrompt = CapacityGroups.alignedChunkLength(s.fed, promptLength, room, chunkWindow);
        return s.fed + inPrompt < promptLength ? inPrompt : Math.min(remaining, room);
    }

    private void addChunk(ActiveSequence s, int take) {
        // the last known token's logits choose the next one, unless no token is to be generated
        int last = s.request.maxTokens() > 0 ? s.known() - 1 : -1;
        for (int j = 0; j < take; j++) {
            int position = s.fed + j;
            boolean sample = position == last;
            boolean score = !sample && s.scoresPromptAt(position);
            if (sample || score) {
                ownLogitRow(s, false, score);
            }
            batch.add(s.slot, s.tokenAt(position), position, sample || score, position >= s.promptLength(),
                    sample ? s.sampler.candidatesNeeded() : 0, s.request.adapters());
            if (s.embeds() && s.request.pooling().reads(position, s.promptLength())) {
                hiddenOwner[batch.hiddenCount()] = s;
                batch.wantHidden();
            }
        }
        s.fed += take;
        s.lastStep = steps;
    }

    /** Adds a prompt position's final hidden state to its embedding sequence's pool. */
    private void pool(ActiveSequence s, float[] hidden) {
        if (s.finish != null || s.failure != null) {
            return;
        }
        int dim = transformer.config().dim();
        if (s.pooled == null) {
            s.pooled = new double[dim];
        }
        for (int d = 0; d < dim; d++) {
            s.pooled[d] += hidden[d];
        }
    }

    /** Hands an embedding sequence its pooled vector (a mean divided by the prompt's length), or fails it on NaN. */
    private void deliverEmbedding(ActiveSequence s) {
        int dim = transformer.config().dim();
        double divisor = s.request.pooling() == dev.switchyard.engine.generate.Pooling.MEAN ? s.promptLength() : 1;
        float[] embedding = new float[dim];
        for (int d = 0; d < dim; d++) {
            embedding[d] = (float) (s.pooled[d] / divisor);
            if (!Float.isFinite(embedding[d])) {
                s.failure = new IllegalArgumentException("the model's hidden state of the prompt holds NaN or infinity");
                return;
            }
        }
        try {
            s.sink.onEmbedding(embedding);
        } catch (RuntimeException e) {
            s.requestAbort();
        }
    }

    /** Records who the next logit row of the batch belongs to and what it is for. */
    private void ownLogitRow(ActiveSequence s, boolean draft, boolean prompt) {
        int row = batch.logitCount();
        logitOwner[row] = s;
        draftRow[row] = draft;
        promptRow[row] = prompt;
    }

    /**
     * Reports the log-probability of the prompt token after {@code position}, read from that
     * position's raw logits, once: a recomputed prompt (after preemption) reports nothing again.
     */
    private void scorePrompt(ActiveSequence s, int position, float[] rowLogits) {
        if (s.finish != null || s.failure != null || position + 1 < s.promptScored) {
            return;
        }
        int next = position + 1;
        logprobs.fill(rowLogits, vocabSize, s.tokenAt(next), s.request.promptLogprobs());
        if (Double.isNaN(logprobs.logprob())) {
            s.failure = new IllegalArgumentException("the model's logits at prompt position " + position
                    + " hold NaN (or every token is masked)");
            return;
        }
        s.promptScored = next + 1;
        try {
            s.sink.onPromptRow(next, rowLogits, logprobs);
            s.sink.onPromptToken(next, logprobs);
        } catch (RuntimeException e) {
            s.requestAbort();
        }
        if (s.abortRequested()) {
            s.finish = FinishReason.ABORT;
        }
    }

    /** Frees the blocks of the running sequence at {@code index}; it returns to the front of the queue. */
    private void preempt(int index) {
        ActiveSequence s = running.remove(index);
        releaseSlot(s);
        s.fed = 0;
        s.pooled = null; // an embedding's prompt is read again from its start
        enqueue(waiting, s);
        preemptions++;
        observer.preempted();
    }

    /** The sequence's next token: sampled from the row's logits, or, where they are null, from the step's candidates. */
    private void accept(ActiveSequence s, float[] rowLogits, long now) {
        int token;
        try {
            token = rowLogits == null ? s.sampler.takeCandidates(candidates, logprobs)
                    : s.sampler.sample(rowLogits, logprobs);
            s.sampler.accept(token);
        } catch (RuntimeException e) {
            s.failure = e; // reported once its blocks are free, at the end of the step
            return;
        }
        s.generated[s.count++] = token;
        if (s.count == 1) {
            observer.firstToken(now - s.submittedNanos);
        } else {
            observer.nextToken(now - s.lastTokenNanos);
        }
        s.lastTokenNanos = now;
        boolean goOn;
        boolean endOfGenerationToken = endOfGeneration.test(token);
        try {
            goOn = s.sink.onToken(token, logprobs, s.sampler.isRequestStopToken(token) && !endOfGenerationToken);
        } catch (RuntimeException e) {
            goOn = false;
            s.requestAbort();
        }
        if (s.abortRequested()) {
            s.finish = FinishReason.ABORT;
        } else if (!goOn || s.sampler.isStopToken(token, endOfGenerationToken)) {
            s.finish = FinishReason.STOP;
        } else if (s.count == s.request.maxTokens() || s.known() >= contextLength) {
            s.finish = FinishReason.LENGTH;
        }
    }

    private void finishRunning(int index, FinishReason reason) {
        finish(retire(index), reason);
    }

    /** Takes the running sequence at {@code index} out of the batch and frees its blocks. */
    private ActiveSequence retire(int index) {
        ActiveSequence s = running.remove(index);
        releaseSlot(s);
        return s;
    }

    private void finish(ActiveSequence s, FinishReason reason) {
        s.finish = reason;
        observer.finished(reason, clock.getAsLong() - s.submittedNanos);
        try {
            if (s.prediction != null) {
                s.sink.onPrediction(s.predictionAccepted, s.predictionRejected);
            }
            s.sink.onFinish(reason);
        } catch (RuntimeException ignored) {
            // the sink's owner is gone; nothing else depends on this call
        }
        if (s.owner != null) {
            s.owner.onSequenceDone();
        }
    }

    private void fail(ActiveSequence s, RuntimeException error) {
        observer.finished(null, clock.getAsLong() - s.submittedNanos);
        try {
            s.sink.onFailure(error);
        } catch (RuntimeException ignored) {
            // as in finish
        }
        if (s.owner != null) {
            s.owner.onSequenceDone();
        }
    }

    /** Fails every running sequence (their step could not run); waiting ones stay. */
    void failRunning(RuntimeException error) {
        for (int i = running.size() - 1; i >= 0; i--) {
            fail(retire(i), error);
        }
    }

    private void releaseSlot(ActiveSequence s) {
        kv.release(s.slot);
        if (draft != null) {
            draft.release(s.slot);
        }
        slotInUse[s.slot] = false;
        s.slot = -1;
    }

    private int freeSlot() {
        for (int i = 0; i < slotInUse.length; i++) {
            if (!slotInUse[i]) {
                return i;
            }
        }
        throw new IllegalStateException("no free sequence slot");
    }
}
