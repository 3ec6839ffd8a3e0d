package dev.switchyard.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Llama 4's blocks by depth: which route, which rotate, and the attention temperature of an
 * unrotated block's queries, 1 + 0.1 ln(1 + floor((p + 1) / 8192)).
 */
class LayerPatternTest {

    private static ModelConfig maverickShaped(int layers, int moeStep) {
        return new ModelConfig(Architecture.LLAMA4, "m", 8192, 256, layers, 8, 2, 32, 32, 512, 8, 1, 256, 256, 0, false,
                1e-5, 5e5, 32, RopeScaling.NONE, 300, null, new ExpertRouting(ExpertRouting.Gating.SIGMOID, 1, 1, 1.0), 0,
                ScaleFactors.NONE, new LayerPattern(moeStep, 4, true, 8192, 8192, 0.1));
    }

    @Test
    void everyStepthBlockRoutesAndTheRoutedLayersNumberThemInOrder() {
        ModelConfig c = maverickShaped(8, 2);
        assertThat(c.routedLayers()).isEqualTo(4);
        for (int block = 0; block < 8; block++) {
            assertThat(c.isRoutedBlock(block)).as("block " + block).isEqualTo(block % 2 == 1);
        }
        for (int r = 0; r < 4; r++) {
            assertThat(c.blockOfRoutedLayer(r)).isEqualTo(2 * r + 1);
            assertThat(c.routedLayerOf(c.blockOfRoutedLayer(r))).isEqualTo(r);
        }
        ModelConfig scout = maverickShaped(3, 1);
        assertThat(scout.routedLayers()).isEqualTo(3);
        assertThat(scout.isRoutedBlock(0)).isTrue();
        assertThatThrownBy(() -> maverickShaped(1, 2)).isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("leaves no block of 1 to route");
    }

    @Test
    void everyFourthBlockIsUnrotated() {
        LayerPattern p = new LayerPattern(1, 4, true, 8192, 8192, 0.1);
        for (int block = 0; block < 12; block++) {
            assertThat(p.rotates(block)).as("block " + block).isEqualTo(block % 4 != 3);
        }
        assertThat(LayerPattern.UNIFORM.rotates(3)).isTrue();
        assertThat(p.chunkOf(0)).as("a rotated block attends within chunks").isEqualTo(8192);
        assertThat(p.chunkOf(3)).as("the unrotated one over every position").isZero();
        assertThat(LayerPattern.UNIFORM.chunkOf(0)).isZero();
        assertThat(new LayerPattern(1, 0, true, 0, 0, 0).hasTemperature()).isFalse();
    }

    @Test
    void theTemperatureGrowsByAStepEach8192Positions() {
        LayerPattern p = new LayerPattern(1, 4, true, 8192, 8192, 0.1);
        assertThat(p.temperature(0)).isEqualTo(1f);
        assertThat(p.temperature(8190)).as("the last position before the first step").isEqualTo(1f);
        assertThat(p.temperature(8191)).isEqualTo((float) (1 + 0.1 * Math.log(2)));
        assertThat(p.temperature(16383)).isEqualTo((float) (1 + 0.1 * Math.log(3)));
        assertThat(LayerPattern.UNIFORM.temperature(100_000)).isEqualTo(1f);
    }

    @Test
    void onlyLlama4VariesItsBlocks() {
        assertThatThrownBy(() -> new ModelConfig(Architecture.LLAMA, "m", 4096, 256, 4, 8, 2, 32, 32, 512, 0, 0, 0, 0, 0,
                true, 1e-5, 1e4, 32, RopeScaling.NONE, 300, null, ExpertRouting.SOFTMAX, 0, ScaleFactors.NONE,
                new LayerPattern(2, 0, false, 0, 0, 0))).isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("llama does not vary its blocks");
        assertThatThrownBy(() -> new LayerPattern(0, 4, true, 8192, 8192, 0.1)).isInstanceOf(ModelConfigException.class);
    }
}
