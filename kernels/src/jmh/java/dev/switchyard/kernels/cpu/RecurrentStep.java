package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.FloatMatrix;
import java.util.Random;

/**
 * One step's inputs for the recurrent ops' benchmarks: {@code sequences} x {@code chunk} tokens, a
 * sequence's chunk in a row as the scheduler lays a step out, each going on from position 100 on
 * its own state (a decode step with chunk 1, a prompt's chunk with more); and matrices of random values.
 */
final class RecurrentStep {

    final int tokens;
    final int[] sequenceOf;
    final int[] positionOf;

    RecurrentStep(int sequences, int chunk) {
        tokens = sequences * chunk;
        sequenceOf = new int[tokens];
        positionOf = new int[tokens];
        for (int s = 0, t = 0; s < sequences; s++) {
            for (int c = 0; c < chunk; c++, t++) {
                sequenceOf[t] = s;
                positionOf[t] = 100 + c;
            }
        }
    }

    /** A matrix of Gaussian values of deviation {@code sigma}. */
    static FloatMatrix filled(CpuBackend backend, int rows, int cols, Random random, float sigma) {
        FloatMatrix m = backend.allocate(rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) random.nextGaussian() * sigma;
            }
            m.writeRow(r, row);
        }
        return m;
    }
}
