package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.ModelWeights;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.kv.PagedKvCache;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.sampling.SamplingParams;
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
 * gpt-oss's windowed blocks keep their keys and values in a pool of their own, holding only what
 * each window reaches: every sequence's tokens and log-probabilities are exactly those of one pool
 * holding every layer's every position, including a sequence far longer than the windowed pool's
 * positions in all.
 */
class WindowedKvApartChangesNothingTest {

    private static final int SEQUENCES = 3;
    private static final int STEP_TOKENS = 16;

    private static List<GenerationRequest> requests(int vocab) {
        SplittableRandom random = new SplittableRandom(5);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < SEQUENCES; i++) {
            // the first runs 50 + 200 positions (of the model's 256), more than the windowed pool holds in all
            int[] prompt = new int[i == 0 ? 50 : 1 + random.nextInt(60)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(vocab - 3);
            }
            SamplingParams params = i % 2 == 0
                    ? SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build()
                    : SamplingParams.builder().temperature(0.8).seed(300L + i).ignoreEos(true).logprobs(3).build();
            list.add(new GenerationRequest(prompt, params, i == 0 ? 200 : 40));
        }
        return list;
    }

    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void windowedBlocksApartAnswerExactlyAsOnePoolOfEveryPosition(KvCacheType type) throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.GPT_OSS, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(500);
        List<GenerationResult> apart;
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, STEP_TOKENS, SEQUENCES, c -> SEQUENCES * 200, null, null,
                     type)) {
            ModelConfig config = model.config();
            assertThat(config.keepsWindowedKvApart()).isTrue();
            int windowPositions = model.kv().windowCapacityBlocks() * model.kv().blockSize();
            assertThat(windowPositions).as("the windowed pool").isEqualTo(16 * (SEQUENCES * 4 + 1))
                    .isLessThan(all.getFirst().prompt().length + all.getFirst().maxTokens());
            assertThat(LoadedModel.kvBytesPerPosition(config, type)).as("the growing pool holds the full blocks alone")
                    .isEqualTo((long) (config.layers() - config.windowedBlocks())
                            * (type.rowBytes(config.kvDimK(), config.kvHeadCount())
                            + type.rowBytes(config.cachedValueDim(), config.kvHeadCount())));
            apart = model.generator().generate(all, TokenListener.NONE);
        }
        List<GenerationResult> together = inOnePool(file, all, type);
        for (int i = 0; i < all.size(); i++) {
            assertThat(apart.get(i).tokens()).as("request %d tokens", i).containsExactly(together.get(i).tokens());
            assertThat(apart.get(i).logprobs()).as("request %d logprobs", i).containsExactly(together.get(i).logprobs());
        }
    }

    /** The same requests over one pool that keeps every layer's positions (no windowed pool). */
    private static List<GenerationResult> inOnePool(Path file, List<GenerationRequest> requests, KvCacheType type)
            throws Exception {
        int blocks = SEQUENCES * 200 / LoadedModel.KV_BLOCK_SIZE + SEQUENCES;
        try (GgufFile gguf = GgufFile.open(file);
             CpuBackend backend = new CpuBackend(2)) {
            ModelConfig config = ModelConfigReader.read(gguf.metadata());
            ModelWeights weights = ModelWeights.load(config, gguf, backend, true);
            try (Transformer transformer = new Transformer(weights, backend, STEP_TOKENS, SEQUENCES, blocks,
                    LoadedModel.KV_BLOCK_SIZE, DispatchConfig.defaults(config.normalizeTopK()), type)) {
                PagedKvCache kv = new PagedKvCache(blocks, LoadedModel.KV_BLOCK_SIZE, SEQUENCES);
                return new BatchGenerator(transformer, kv, id -> false).generate(requests, TokenListener.NONE);
            }
        }
    }
}
