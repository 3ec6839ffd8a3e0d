package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.gaussian;
import static dev.switchyard.kernels.format.Fixtures.rms;
import static dev.switchyard.kernels.format.Fixtures.rmsError;
import static dev.switchyard.kernels.format.Fixtures.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

/** A checks the IQ1 to IQ3 codec tests share. */
final class IQCodecChecks {

    private IQCodecChecks() {
    }

    /**
     * Round-trips gaussian weights (what a model's matrices look like) and bounds the relative RMS
     * error: a tighter figure than {@link QuantErrors}' worst case over all data sets, which
     * includes outliers these formats cannot hold.
     */
    static void assertGaussianRmsWithin(TensorCodec codec, double relative) {
        float[] x = gaussian(41, 16 * 256, 0.02f);
        float[] y = roundTrip(codec, x);
        assertThat(rmsError(x, y, 0, x.length) / rms(x, 0, x.length)).as(codec.type() + " on gaussian weights")
                .isLessThanOrEqualTo(relative);
    }
}
