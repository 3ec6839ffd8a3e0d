package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An embedding is the prompt's final hidden states (after the output norm) pooled: the same as one
 * step over the whole prompt alone gives, whatever the chunking, the sequences beside it and
 * preemption; it comes once, before the end, and nothing is sampled.
 */
class EmbeddingTest {

    /** Records an embedding sequence's vector and end, or a generating one's tokens. */
    static final class Sink implements SequenceSink {
        float[] embedding;
        int embeddings;
        int tokens;
        FinishReason finish;
        RuntimeException failure;

        @Override
        public void onEmbedding(float[] vector) {
            assertThat(finish).as("the embedding comes before the end").isNull();
            embedding = vector;
            embeddings++;
        }

        @Override
        public boolean onToken(int token, TokenLogprobs logprobs) {
            tokens++;
            return true;
        }

        @Override
        public void onFinish(FinishReason reason) {
            finish = reason;
        }

        @Override
        public void onFailure(RuntimeException error) {
            failure = error;
        }
    }

    /** One step over the whole prompt alone, every position's hidden state read back, pooled in double. */
    private static float[] reference(LoadedModel model, int[] prompt, Pooling pooling) {
        StepBatch batch = new StepBatch(model.transformer().maxTokens());
        assertThat(model.kv().reserve(0, prompt.length)).isTrue();
        for (int p = 0; p < prompt.length; p++) {
            batch.add(0, prompt[p], p, false);
            batch.wantHidden();
        }
        model.transformer().step(batch, model.kv(), new float[0][]);
        int dim = model.config().dim();
        double[] sum = new double[dim];
        int counted = 0;
        for (int p = 0; p < prompt.length; p++) {
            if (pooling.reads(p, prompt.length)) {
                float[] h = batch.hiddenState(p);
                for (int d = 0; d < dim; d++) {
                    sum[d] += h[d];
                }
                counted++;
            }
        }
        model.kv().release(0);
        float[] out = new float[dim];
        for (int d = 0; d < dim; d++) {
            out[d] = (float) (sum[d] / (pooling == Pooling.MEAN ? counted : 1));
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "GPT_OSS"})
    void anEmbeddingIsTheWholePromptsPooledHiddenStatesWhateverRunsBesideIt(GeneratedArchitecture arch)
            throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        SplittableRandom random = new SplittableRandom(17);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            prompts.add(random.ints(5 + random.nextInt(50), 0, 253).toArray()); // the last ids are control tokens
        }
        Pooling[] poolings = {Pooling.MEAN, Pooling.LAST, Pooling.CLS, Pooling.MEAN, Pooling.LAST, Pooling.MEAN};
        List<float[]> expected = new ArrayList<>();
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 64, 4, c -> 0, null, null, KvCacheType.F32)) {
            for (int i = 0; i < prompts.size(); i++) {
                expected.add(reference(model, prompts.get(i), poolings[i]));
            }
        }
        // steps of 16 rows chunk every prompt; with 96 positions the generating sequences preempt the rest
        for (int kvPositions : new int[] {0, 96}) {
            long[] preemptions = new long[1];
            try (CpuBackend backend = new CpuBackend(2);
                 LoadedModel model = LoadedModel.open(file, backend, 16, 8, c -> kvPositions, null, null,
                         KvCacheType.F32)) {
                ContinuousBatcher batcher = new ContinuousBatcher(model.transformer(), model.kv(),
                        model.tokenizer()::isEog, SchedulerObserver.NONE, System::nanoTime);
                List<Sink> embeddings = new ArrayList<>();
                List<Sink> generating = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    Sink talker = new Sink();
                    generating.add(talker);
                    batcher.add(new GenerationRequest(prompts.get((i + 1) % prompts.size()),
                            SamplingParams.builder().temperature(0).ignoreEos(true).build(), 20), talker);
                    Sink sink = new Sink();
                    embeddings.add(sink);
                    batcher.add(GenerationRequest.embedding(prompts.get(i), poolings[i], 0), sink);
                }
                while (batcher.hasWork()) {
                    batcher.step();
                }
                preemptions[0] = batcher.preemptions();
                for (int i = 0; i < prompts.size(); i++) {
                    Sink sink = embeddings.get(i);
                    assertThat(sink.failure).isNull();
                    assertThat(sink.embeddings).as("once").isEqualTo(1);
                    assertThat(sink.tokens).as("nothing sampled").isZero();
                    assertThat(sink.finish).isEqualTo(FinishReason.LENGTH);
                    float[] want = expected.get(i);
                    for (int d = 0; d < want.length; d++) {
                        assertThat(sink.embedding[d]).as("%s prompt %d (%s), value %d, KV %d", arch, i, poolings[i], d,
                                kvPositions).isCloseTo(want[d], org.assertj.core.api.Assertions.within(1e-5f));
                    }
                    assertThat(generating.get(i).tokens).isEqualTo(20);
                }
            }
            if (kvPositions > 0) {
                assertThat(preemptions[0]).as("a cache small enough to preempt").isPositive();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aLastTokenPoolingTakesASharedPrefixFromTheCacheAndTheOthersComputeItWhole() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        SplittableRandom random = new SplittableRandom(23);
        int[] instruction = random.ints(48, 0, 253).toArray(); // the same instruction before every query
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int[] query = random.ints(5 + i, 0, 253).toArray();
            int[] p = java.util.Arrays.copyOf(instruction, instruction.length + query.length);
            System.arraycopy(query, 0, p, instruction.length, query.length);
            prompts.add(p);
        }
        for (Pooling pooling : new Pooling[] {Pooling.LAST, Pooling.MEAN}) {
            long[] reused = new long[1];
            try (CpuBackend backend = new CpuBackend(2);
                 LoadedModel model = LoadedModel.open(file, backend, 64, 2, c -> 0, null, null, KvCacheType.F32)) {
                model.reusePrefixes(true);
                List<float[]> expected = new ArrayList<>();
                for (int[] p : prompts) {
                    expected.add(reference(model, p, pooling));
                }
                ContinuousBatcher batcher = new ContinuousBatcher(model.transformer(), model.kv(), model.tokenizer()::isEog,
                        new SchedulerObserver() {
                            @Override
                            public void prefixReused(int tokens) {
                                reused[0] += tokens;
                            }
                        }, System::nanoTime);
                for (int i = 0; i < prompts.size(); i++) {
                    Sink sink = new Sink();
                    batcher.add(GenerationRequest.embedding(prompts.get(i), pooling, 0), sink); // one after another
                    while (batcher.hasWork()) {
                        batcher.step();
                    }
                    assertThat(sink.failure).isNull();
                    for (int d = 0; d < sink.embedding.length; d++) {
                        assertThat(sink.embedding[d]).as("%s prompt %d value %d", pooling, i, d)
                                .isCloseTo(expected.get(i)[d], org.assertj.core.api.Assertions.within(1e-5f));
                    }
                }
            }
            if (pooling == Pooling.LAST) {
                assertThat(reused[0]).as("the instruction's whole blocks, taken twice").isEqualTo(2 * 48);
            } else {
                assertThat(reused[0]).as("a mean reads every position: nothing from the cache").isZero();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void anEmbeddingRequestGeneratesAndScoresNothing() {
        assertThatThrownBy(() -> new GenerationRequest(new int[] {1}, SamplingParams.builder().build(), 3, null, null,
                GenerationRequest.NO_PROMPT_LOGPROBS, 0, Pooling.MEAN)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Pooling.ofGguf(3)).isEqualTo(Pooling.LAST);
        assertThat(Pooling.ofGguf(0)).isNull();
        assertThat(Pooling.of(" Mean ")).isEqualTo(Pooling.MEAN);
        assertThatThrownBy(() -> Pooling.of("max")).hasMessageContaining("mean, cls or last");
    }
}
