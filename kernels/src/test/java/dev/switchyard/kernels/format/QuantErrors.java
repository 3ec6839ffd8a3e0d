package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.rms;
import static dev.switchyard.kernels.format.Fixtures.rmsError;
import static dev.switchyard.kernels.format.Fixtures.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

/** RMS error checks for the super-block formats, whose errors have no simple per-value bound. */
final class QuantErrors {

    private QuantErrors() {
    }

    /**
     * Round-trips every data set of {@link Fixtures#dataSets()} and checks the RMS error of each
     * super-block against {@code perBlock} times that block's RMS, and of the whole set against
     * {@code overall} times its RMS; {@code floor} is added to both as an absolute allowance.
     */
    static void assertRmsWithin(TensorCodec codec, double perBlock, double overall, double floor) {
        int block = codec.type().blockSize();
        for (Map.Entry<String, float[]> set : Fixtures.dataSets().entrySet()) {
            float[] x = set.getValue();
            float[] y = roundTrip(codec, x);
            for (int b = 0; b < x.length; b += block) {
                assertThat(rmsError(x, y, b, block))
                        .as("%s, block at %d", set.getKey(), b)
                        .isLessThanOrEqualTo(perBlock * rms(x, b, block) + floor);
            }
            assertThat(rmsError(x, y, 0, x.length))
                    .as("%s, whole tensor", set.getKey())
                    .isLessThanOrEqualTo(overall * rms(x, 0, x.length) + floor);
        }
    }
}
