package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.server.TinyModelFile;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A --kv-memory budget buys twice the positions in an F16 cache as in a float one, neither pool
 * outgrows the budget, and the metrics say which cache it is; gpt-oss's windowed blocks take their
 * fixed pool from the budget first, and the rest buys positions at its full blocks' cost alone; a
 * draft model's cache, which holds as many positions as the model's, is paid from the same budget.
 */
class KvCacheBudgetTest {

    private static EngineConfig engine(long kvBytes, KvCacheType type) {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        return new EngineConfig(1, 1, EngineConfig.defaultBatchTokens(1, dispatch), kvBytes, 4, Duration.ZERO, dispatch,
                ReasoningFormat.AUTO, true, type);
    }

    @Test
    void anF16CacheHoldsTwiceThePositionsOfTheSameBudget() throws Exception {
        long perPosition;
        try (ServedModel probe = ServedModel.open(TinyModelFile.longContext(), "probe", engine(0, KvCacheType.F32))) {
            perPosition = LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.F32);
            assertThat(LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.F16)).isEqualTo(perPosition / 2);
        }
        long budget = 21 * LoadedModel.KV_BLOCK_SIZE * perPosition;   // 21 float blocks
        int floats;
        int halves;
        try (ServedModel served = ServedModel.open(TinyModelFile.longContext(), "f32", engine(budget, KvCacheType.F32))) {
            floats = served.maxSequenceLength();
            assertThat(served.kvCapacityBytes()).isLessThanOrEqualTo(budget);
        }
        try (ServedModel served = ServedModel.open(TinyModelFile.longContext(), "f16", engine(budget, KvCacheType.F16))) {
            halves = served.maxSequenceLength();
            assertThat(served.kvCapacityBytes()).isLessThanOrEqualTo(budget);
            assertThat(served.metrics().scrape())
                    .contains("switchyard_kv_cache_info{block_size=\"16\",cache_type=\"f16\",model=\"f16\"} 1.0")
                    .contains("switchyard_kv_cache_capacity_tokens{model=\"f16\"} " + halves + ".0");
        }
        assertThat(floats).isEqualTo(21 * LoadedModel.KV_BLOCK_SIZE);
        assertThat(halves).isEqualTo(2 * floats);
    }

    /**
     * A Q8_0 cache's position costs a byte an element and a half per 32 of a head: the same budget
     * holds the positions those bytes buy, nearly twice F16's, and the metrics name the type.
     */
    @Test
    void aQ8CacheHoldsThePositionsItsBytesAndScalesBuy() throws Exception {
        long halves;
        long quants;
        int kvHeads;
        int width;
        try (ServedModel probe = ServedModel.open(TinyModelFile.longContext(), "probe", engine(0, KvCacheType.F16))) {
            halves = LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.F16);
            quants = LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.Q8_0);
            kvHeads = probe.config().kvHeadCount();
            width = probe.config().kvDimK() + probe.config().cachedValueDim();
            int scales = 2 * kvHeads * (KvQ8.groups(probe.config().headDimK()) + KvQ8.groups(probe.config().headDimV()));
            assertThat(quants).isEqualTo((long) probe.config().layers() * (width + scales));
        }
        long budget = 12 * LoadedModel.KV_BLOCK_SIZE * halves;   // 12 blocks of halves
        try (ServedModel served = ServedModel.open(TinyModelFile.longContext(), "q8", engine(budget, KvCacheType.Q8_0))) {
            assertThat(served.maxSequenceLength())
                    .isEqualTo((int) (budget / (LoadedModel.KV_BLOCK_SIZE * quants)) * LoadedModel.KV_BLOCK_SIZE)
                    .isGreaterThan(12 * LoadedModel.KV_BLOCK_SIZE);
            assertThat(served.kvCapacityBytes()).isLessThanOrEqualTo(budget);
            assertThat(served.metrics().scrape())
                    .contains("switchyard_kv_cache_info{block_size=\"16\",cache_type=\"q8_0\",model=\"q8\"} 1.0");
        }
    }

    @Test
    void windowedBlocksTakeTheirPoolFirstAndTheRestBuysPositionsOfTheFullBlocks() throws Exception {
        long perPosition;
        long window;
        try (ServedModel probe = ServedModel.open(TinyModelFile.gptOss(), "probe", engine(0, KvCacheType.F16))) {
            perPosition = LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.F16);
            window = probe.windowKvBytes();
            assertThat(probe.config().windowedBlocks()).isEqualTo(1);
            assertThat(perPosition).as("one full block of two")
                    .isEqualTo((probe.config().kvDimK() + probe.config().cachedValueDim()) * 2L);
            assertThat(window).isPositive();
        }
        // the window's pool, then 10 blocks of the full block's positions (one of them a sequence's spare)
        long budget = window + 10 * LoadedModel.KV_BLOCK_SIZE * perPosition;
        try (ServedModel served = ServedModel.open(TinyModelFile.gptOss(), "oss", engine(budget, KvCacheType.F16))) {
            assertThat(served.maxSequenceLength()).isEqualTo(10 * LoadedModel.KV_BLOCK_SIZE);
            assertThat(served.kvCapacityBytes()).isEqualTo(budget);
            assertThat(served.metrics().scrape()).contains("switchyard_kv_cache_window_capacity_tokens{model=\"oss\"} "
                    + window / perPosition + ".0");
        }
        assertThatThrownBy(() -> ServedModel.open(TinyModelFile.gptOss(), "small", engine(window, KvCacheType.F16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("after " + window + " bytes for the windowed layers' blocks")
                .hasMessageContaining("--max-batch-tokens");
    }

    @Test
    void aDraftModelsCacheIsPaidFromTheSameBudget() throws Exception {
        long perPosition;
        try (ServedModel probe = ServedModel.open(TinyModelFile.longContext(), "probe", engine(0, KvCacheType.F16))) {
            perPosition = LoadedModel.kvBytesPerPosition(probe.config(), KvCacheType.F16);
        }
        long budget = 24 * LoadedModel.KV_BLOCK_SIZE * perPosition;
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig drafted = new EngineConfig(1, 1, EngineConfig.defaultBatchTokens(1, dispatch), budget, 4,
                Duration.ZERO, dispatch, ReasoningFormat.AUTO, true, KvCacheType.F16,
                dev.switchyard.engine.schedule.Speculation.lookup(4, 1, 3))
                .withDraft(new SpeculativeDraft(TinyModelFile.longContext(), 0));
        try (ServedModel alone = ServedModel.open(TinyModelFile.longContext(), "alone", engine(budget, KvCacheType.F16));
             ServedModel withDraft = ServedModel.open(TinyModelFile.longContext(), "drafted", drafted)) {
            assertThat(withDraft.draftKvBytesPerPosition()).as("the model as its own draft").isEqualTo(perPosition);
            assertThat(alone.maxSequenceLength()).isEqualTo(24 * LoadedModel.KV_BLOCK_SIZE);
            assertThat(withDraft.maxSequenceLength()).isEqualTo(12 * LoadedModel.KV_BLOCK_SIZE);
            assertThat(withDraft.kvCapacityBytes()).isLessThanOrEqualTo(budget);
        }
    }
}
