package dev.switchyard.engine.schedule;

import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.sampling.RowCandidates;
import java.util.Arrays;

/**
 * Proposals by a draft model ({@code --draft-model}, as llama.cpp's {@code -md} and vLLM's draft
 * models): a smaller model of the same vocabulary runs ahead of each decoding sequence, greedily, and
 * its tokens are proposed to the served model, which checks them all in one step as it checks prompt
 * lookup's. What the sampler keeps is exactly what it would have drawn alone, so replies are those of
 * decoding without it; only the number of steps changes. With experts offloaded this matters more
 * than anywhere: an expert copied in for one step serves every proposed token that routes to it.
 *
 * <p>The draft keeps its own keys and values per sequence slot, for the positions it has computed
 * with the sequence's own tokens, and for the proposals it fed beyond them. Before it proposes again
 * the proposals the sampler kept stay, the rest are forgotten (the next tokens overwrite them). A
 * sequence new to its slot, or back from preemption, is caught up from its start; catching up takes at
 * most one step's rows at a time, so a long prompt delays nobody's step by more than one draft step,
 * and its sequence proposes once it has caught up. A draft short of cache blocks proposes nothing for
 * that sequence (it never preempts), and starts over with it later.
 *
 * <p>One step of proposals runs one catch-up step, then one draft step per proposed token after the
 * first, all sequences together. A draft token is proposed only while the draft gives it at least
 * {@code minProbability} (llama.cpp's {@code --draft-p-min}); 0 proposes as many as asked.
 *
 * <p>Used by the scheduler's thread only.
 */
public final class DraftModel {

    private final Transformer transformer;
    private final KvCache kv;
    private final int targetVocab;
    private final double minProbability;
    private final StepBatch batch;
    private final float[][] logits;
    private final RowCandidates best = new RowCandidates();
    /** Per slot: the sequence whose keys and values the draft holds there (null: none). */
    private final ActiveSequence[] owner;
    /** Per slot: positions computed, those below {@link #proposedFrom} with the sequence's own tokens. */
    private final int[] computed;
    /** Per slot: the first position fed with a proposal; the proposals themselves in {@link #fedProposals}. */
    private final int[] proposedFrom;
    private final int[][] fedProposals;
    // per call: the sequences proposing, their room, whether caught up, and the logit row of each
    private ActiveSequence[] proposing = new ActiveSequence[0];
    private int[] room = new int[0];
    private int[] count = new int[0];
    private int[] row = new int[0];

    /**
     * @param transformer    the draft's transformer, with at least as many sequence slots as the
     *                       served model's scheduler uses
     * @param kv             its cache, one sequence per slot
     * @param targetVocab    the served model's vocabulary size: no id at or past it is proposed
     * @param minProbability the least probability, under the draft, of a token proposed (0 to 1)
     */
    public DraftModel(Transformer transformer, KvCache kv, int targetVocab, double minProbability) {
        if (!(minProbability >= 0 && minProbability <= 1)) {
            throw new IllegalArgumentException("a draft token's least probability is 0 to 1, got " + minProbability);
        }
        if (transformer.config().carriesRecurrentState()) {
            // the draft goes back over proposals the target rejected, which a recurrent state cannot
            throw new IllegalArgumentException("a " + transformer.config().architecture().ggufName() + " model cannot "
                    + "draft: its delta-net blocks carry a state per sequence that rejected proposals cannot be taken "
                    + "back out of");
        }
        this.transformer = transformer;
        this.kv = kv;
        this.targetVocab = targetVocab;
        this.minProbability = minProbability;
        this.batch = new StepBatch(transformer.maxTokens());
        int slots = transformer.maxSequences();
        // a draft step wants at most one row of logits per sequence
        this.logits = new float[slots][transformer.config().vocabSize()];
        this.owner = new ActiveSequence[slots];
        this.computed = new int[slots];
        this.proposedFrom = new int[slots];
        this.fedProposals = new int[slots][Speculation.MAX_DRAFT_TOKENS];
    }

    /** Sequence slots the draft can follow. */
    int slots() {
        return owner.length;
    }

    /** The draft's transformer. */
    public Transformer transformer() {
        return transformer;
    }

    /** The served model's slot {@code slot} was freed: the draft lets its keys and values go too. */
    void release(int slot) {
        if (owner[slot] != null || computed[slot] > 0) {
            kv.release(slot);
        }
        owner[slot] = null;
        computed[slot] = 0;
        proposedFrom[slot] = 0;
    }

    /**
     * Proposes tokens for {@code n} decoding sequences, each of which has just added its decode row
     * (its next position is {@code fed}): up to {@code rooms[i]} tokens into {@code sequences[i].draft},
     * how many in {@code counts[i]} (0: none this step).
     */
    void propose(ActiveSequence[] sequences, int[] rooms, int n, int[] counts) {
        ensure(n);
        int budget = batch.capacity();
        batch.clear();
        int rows = 0;
        for (int i = 0; i < n; i++) {
            ActiveSequence s = sequences[i];
            counts[i] = 0;
            proposing[i] = s;
            room[i] = rooms[i];
            count[i] = 0;
            row[i] = -1;
            int slot = s.slot;
            sync(s);
            int next = s.fed; // the decode token sits at fed - 1: its draft logits give the first proposal
            int take = Math.min(next - computed[slot], budget - batch.tokens());
            if (take <= 0) {
                continue;
            }
            if (!kv.reserve(slot, computed[slot] + take)) {
                release(slot); // starts over with this sequence once blocks are free
                continue;
            }
            boolean caughtUp = computed[slot] + take == next;
            for (int p = computed[slot]; p < computed[slot] + take; p++) {
                boolean last = caughtUp && p == next - 1;
                batch.add(slot, s.tokenAt(p), p, last, false, last ? 1 : 0);
            }
            computed[slot] += take;
            proposedFrom[slot] = computed[slot];
            if (caughtUp) {
                row[i] = rows++;
            }
        }
        if (batch.tokens() == 0) {
            return;
        }
        transformer.step(batch, kv, logits);
        readProposals(n, 0);
        for (int round = 1; ; round++) {
            batch.clear();
            rows = 0;
            for (int i = 0; i < n; i++) {
                ActiveSequence s = proposing[i];
                int slot = s.slot;
                int position = s.fed + round - 1;
                // only a sequence whose last round proposed, and that wants more, feeds its proposal
                if (count[i] != round || room[i] <= round || !kv.reserve(slot, position + 1)) {
                    row[i] = -1;
                    continue;
                }
                int token = s.draft[round - 1];
                batch.add(slot, token, position, true, false, 1);
                fedProposals[slot][round - 1] = token;
                computed[slot] = position + 1;
                row[i] = rows++;
            }
            if (rows == 0) {
                break;
            }
            transformer.step(batch, kv, logits);
            readProposals(n, round);
        }
        for (int i = 0; i < n; i++) {
            counts[i] = count[i];
            // windowed layers may let go of what no later window reaches from the last confirmed position
            kv.computesFrom(proposing[i].slot, proposedFrom[proposing[i].slot]);
        }
    }

    /** After a draft step: each sequence with a row in it proposes the row's best token, if likely enough. */
    private void readProposals(int n, int round) {
        for (int i = 0; i < n; i++) {
            if (row[i] < 0) {
                continue;
            }
            int r = row[i];
            int token;
            double probability;
            if (batch.candidatesOf(r, best)) {
                token = best.id(0);
                probability = Math.exp(-best.logZ());
            } else {
                token = argmax(logits[r]);
                probability = token < 0 ? 0 : 1; // a row the backend could not settle: take its best as is
            }
            if (token < 0 || token >= targetVocab || probability < minProbability) {
                continue;
            }
            proposing[i].draft[round] = token;
            count[i] = round + 1;
        }
    }

    /** The row's best finite logit, the lowest id among equals; -1 where none is finite. */
    private static int argmax(float[] row) {
        int best = -1;
        float value = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < row.length; t++) {
            if (row[t] > value && Float.isFinite(row[t])) {
                value = row[t];
                best = t;
            }
        }
        return best;
    }

    /**
     * Brings the slot's state up to the sequence: a new sequence starts over; for the same one, the
     * proposals fed last time count while the sampler kept them, and the positions after the first it
     * did not are forgotten.
     */
    private void sync(ActiveSequence s) {
        int slot = s.slot;
        if (owner[slot] != s) {
            release(slot);
            owner[slot] = s;
            return;
        }
        int from = proposedFrom[slot];
        int valid = from;
        int known = s.known();
        while (valid < computed[slot] && valid < known && fedProposals[slot][valid - from] == s.tokenAt(valid)) {
            valid++;
        }
        computed[slot] = Math.min(valid, s.fed); // nothing past the served model's own next position
        proposedFrom[slot] = computed[slot];
    }

    private void ensure(int n) {
        if (proposing.length < n) {
            proposing = Arrays.copyOf(proposing, n);
            room = new int[n];
            count = new int[n];
            row = new int[n];
        }
    }
}
