package dev.switchyard.engine.generate;

import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.moe.CapacityGroups;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingScratch;
import dev.switchyard.engine.sampling.TokenLogprobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Runs a fixed set of sequences to completion together: every step carries one decode token of each
 * sequence past its prompt, and fills the rest of the step with prompt chunks (chunked prefill).
 * Each sequence's tokens depend only on its own prompt and sampling parameters, never on which
 * others share its steps. The serving scheduler adds admission, preemption and cancellation on top.
 */
public final class BatchGenerator {

    private final Transformer transformer;
    private final KvCache kv;
    private final IntPredicate endOfGeneration;
    private final StepBatch batch;
    private final float[][] logits;
    private final int[] logitOwner;
    private final TokenLogprobs logprobs;
    private final SamplingScratch scratch;
    /** Capacity window prefill chunks must end on, or 0 when chunks may end anywhere. */
    private final int chunkWindow;

    public BatchGenerator(Transformer transformer, KvCache kv, IntPredicate endOfGeneration) {
        if (transformer.maxSequences() > transformer.maxTokens()) {
            throw new IllegalArgumentException("a step must hold one decode token of every sequence: max sequences "
                    + transformer.maxSequences() + " > max step tokens " + transformer.maxTokens());
        }
        this.transformer = transformer;
        this.kv = kv;
        this.endOfGeneration = endOfGeneration;
        this.batch = new StepBatch(transformer.maxTokens());
        int vocab = transformer.config().vocabSize();
        this.logits = new float[transformer.maxTokens()][vocab];
        this.logitOwner = new int[transformer.maxTokens()];
        this.logprobs = new TokenLogprobs();
        this.scratch = new SamplingScratch(vocab);
        DispatchConfig dispatch = transformer.dispatchConfig();
        boolean windowed = transformer.config().isMoe() && dispatch.capacityLimited()
                && dispatch.scope() == CapacityScope.SEQUENCE;
        this.chunkWindow = windowed ? dispatch.window() : 0;
        if (windowed && transformer.maxTokens() < dispatch.window()) {
            throw new IllegalArgumentException("a step of " + transformer.maxTokens()
                    + " tokens cannot hold a capacity window of " + dispatch.window() + " positions");
        }
    }

    /** One sequence's progress. */
    private static final class Sequence {
        final int request;
        final GenerationRequest spec;
        final Sampler sampler;
        final int[] generated;
        final double[] generatedLogprobs;
        int slot = -1;
        int prefilled;
        int count;
        FinishReason finish;

        Sequence(int request, GenerationRequest spec, Sampler sampler) {
            this.request = request;
            this.spec = spec;
            this.sampler = sampler;
            this.generated = new int[spec.maxTokens()];
            this.generatedLogprobs = new double[spec.maxTokens()];
        }

        boolean prefillDone() {
            return prefilled == spec.prompt().length;
        }

        /** The position of the next token this sequence feeds to the model. */
        int nextPosition() {
            return prefilled + Math.max(0, count - 1);
        }
    }

    public List<GenerationResult> generate(List<GenerationRequest> requests, TokenListener listener) {
        int context = transformer.config().contextLength();
        List<Sequence> all = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            if (r.prompt().length >= context) {
                throw new IllegalArgumentException("prompt of " + r.prompt().length
                        + " tokens does not fit the model's context of " + context);
            }
            for (int id : r.prompt()) {
                if (id < 0 || id >= transformer.config().vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary");
                }
            }
            Sampler sampler = new Sampler(r.sampling(), transformer.config().vocabSize(), scratch);
            sampler.addPromptTokens(r.prompt());
            Sequence s = new Sequence(i, r, sampler);
            if (r.maxTokens() == 0) {
                s.finish = FinishReason.LENGTH;
            }
            all.add(s);
        }
        List<Sequence> waiting = new ArrayList<>(all.stream().filter(s -> s.finish == null).toList());
        List<Sequence> running = new ArrayList<>();
        boolean[] slotInUse = new boolean[transformer.maxSequences()];
        while (!waiting.isEmpty() || !running.isEmpty()) {
            // admit waiting sequences into free slots
            while (!waiting.isEmpty() && running.size() < slotInUse.length) {
                Sequence s = waiting.removeFirst();
                s.slot = firstFree(slotInUse);
                slotInUse[s.slot] = true;
                running.add(s);
            }
            buildStep(running);
            transformer.step(batch, kv, logits);
            for (int i = 0; i < batch.logitCount(); i++) {
                Sequence s = running.get(logitOwner[i]);
                accept(s, logits[i], listener, context);
            }
            for (int i = running.size() - 1; i >= 0; i--) {
                Sequence s = running.get(i);
                if (s.finish != null) {
                    kv.release(s.slot);
                    slotInUse[s.slot] = false;
                    running.remove(i);
                }
            }
        }
        List<GenerationResult> results = new ArrayList<>(all.size());
        for (Sequence s : all) {
            results.add(new GenerationResult(Arrays.copyOf(s.generated, s.count),
                    Arrays.copyOf(s.generatedLogprobs, s.count), s.finish, s.spec.prompt().length));
        }
        return results;
    }

    /** Decode tokens of sequences past their prompt first, then prompt chunks while room remains. */
    private void buildStep(List<Sequence> running) {
        batch.clear();
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (s.prefillDone()) {
                int position = s.nextPosition();
                reserve(s, position + 1);
                logitOwner[batch.logitCount()] = i;
                batch.add(s.slot, s.generated[s.count - 1], position, true, true);
            }
        }
        for (int i = 0; i < running.size() && !batch.isFull(); i++) {
            Sequence s = running.get(i);
            if (s.prefillDone()) {
                continue;
            }
            int[] prompt = s.spec.prompt();
            int room = batch.capacity() - batch.tokens();
            // With capacity groups by window, a chunk ends on a window boundary (or the prompt's
            // end), so a request's groups never depend on how the scheduler cut its prompt.
            int take = chunkWindow > 0
                    ? CapacityGroups.alignedChunkLength(s.prefilled, prompt.length, room, chunkWindow)
                    : Math.min(prompt.length - s.prefilled, room);
            if (take == 0) {
                continue;
            }
            reserve(s, s.prefilled + take);
            for (int j = 0; j < take; j++) {
                int position = s.prefilled + j;
                boolean last = position == prompt.length - 1;
                if (last) {
                    logitOwner[batch.logitCount()] = i;
                }
                batch.add(s.slot, prompt[position], position, last);
            }
            s.prefilled += take;
        }
    }

    private void reserve(Sequence s, int positions) {
        if (!kv.reserve(s.slot, positions)) {
            throw new IllegalStateException("KV cache is full: " + kv.freeBlocks() + " free blocks of "
                    + kv.capacityBlocks() + " (size the cache for the batch)");
        }
    }

    private void accept(Sequence s, float[] rowLogits, TokenListener listener, int context) {
        int token = s.sampler.sample(rowLogits, logprobs);
        s.sampler.accept(token);
        s.generated[s.count] = token;
        s.generatedLogprobs[s.count] = logprobs.logprob();
        s.count++;
        listener.onToken(s.request, token, logprobs);
        if (s.sampler.isStopToken(token, endOfGeneration.test(token))) {
            s.finish = FinishReason.STOP;
        } else if (s.count == s.spec.maxTokens() || s.prefilled + s.count >= context) {
            s.finish = FinishReason.LENGTH;
        }
    }

    private static int firstFree(boolean[] inUse) {
        for (int i = 0; i < inUse.length; i++) {
            if (!inUse[i]) {
                return i;
            }
        }
        throw new IllegalStateException("no free sequence slot");
    }
}
