package dev.switchyard.server.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.ExpertSource;
import dev.switchyard.cache.residency.LinkPacer;
import dev.switchyard.cache.residency.PackedExpert;
import dev.switchyard.engine.forward.StepBatch;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class DecodeResidencyCounterTest {

    /** One layer of four experts of a few bytes each. */
    private static final class SmallExperts implements ExpertSource {
        private static final long[] SIZES = {64, 64, 64};

        @Override
        public int layers() {
            return 1;
        }

        @Override
        public int experts() {
            return 4;
        }

        @Override
        public MemorySegment[] parts(int layer, int expert) {
            return new MemorySegment[] {MemorySegment.ofArray(new byte[64]), MemorySegment.ofArray(new byte[64]),
                MemorySegment.ofArray(new byte[64])};
        }

        @Override
        public long maxPackedBytes() {
            return PackedExpert.size(SIZES);
        }
    }

    private static StepBatch step(boolean generated) {
        StepBatch batch = new StepBatch(4);
        batch.add(0, 1, 0, true, generated);
        return batch;
    }

    private static void use(ExpertResidency residency, int... experts) {
        for (int e : experts) {
            residency.release(residency.acquire(0, e));
        }
    }

    @Test
    void countsDecodeStepsOnlyAsTheSimulatorDoes() {
        try (ExpertResidency residency = new ExpertResidency(new SmallExperts(), 4, LinkPacer.unlimited())) {
            DecodeResidencyCounter counter = new DecodeResidencyCounter(residency.stats());
            counter.onRouting(0, step(false), new int[0], 2, null);
            use(residency, 0, 1); // prefill: two misses, not counted
            counter.onRouting(0, step(true), new int[0], 2, null);
            use(residency, 0, 2); // decode: a hit and a miss
            counter.onRouting(0, step(true), new int[0], 2, null);
            use(residency, 1, 2); // decode, the last step: two hits, counted at finish
            counter.finish();
            assertThat(counter.hits()).isEqualTo(3);
            assertThat(counter.misses()).isEqualTo(1);
            assertThat(counter.hitRate()).isEqualTo(0.75);
            assertThat(residency.stats().snapshot().demandMisses()).isEqualTo(3);
        }
    }
}
