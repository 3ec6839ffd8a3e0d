package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodec;
import dev.switchyard.kernels.format.TensorCodecs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes a seeded random LoRA adapter for a model file, laid out as llama.cpp's converter lays
 * adapters out ({@link dev.switchyard.engine.lora.LoraAdapter}), so that tests, demos and benchmarks
 * have adapters to load where none can be downloaded.
 *
 * <p>A's entries have a root mean square of {@code 1 / sqrt(in)}, so {@code A x} is about as large as
 * x; B's are set from the adapted matrix's own entries so that, at scale 1, {@code s B (A x)} is
 * about {@code strength} times as large as {@code W x}: large enough to change what the model says,
 * small enough to leave it a model.
 */
public final class RandomLoraGenerator {

    /** The targets a LoRA fine-tune usually trains (PEFT's attention projections). */
    public static final Set<LoraTarget> ATTENTION = EnumSet.of(LoraTarget.ATTN_Q, LoraTarget.ATTN_K, LoraTarget.ATTN_V,
            LoraTarget.ATTN_OUTPUT);

    /** What to write: rank, alpha, which matrices, their type, seed and strength. */
    public record LoraSpec(int rank, float alpha, Set<LoraTarget> targets, GgmlType type, long seed, double strength) {
        public LoraSpec {
            if (rank < 1) {
                throw new IllegalArgumentException("the rank must be at least 1, got " + rank);
            }
            if (!(alpha >= 0) || !Float.isFinite(alpha)) {
                throw new IllegalArgumentException("alpha must be 0 or more, got " + alpha);
            }
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("an adapter needs at least one target");
            }
            if (!(strength > 0) || !Double.isFinite(strength)) {
                throw new IllegalArgumentException("the strength must be above 0, got " + strength);
            }
            targets = Set.copyOf(targets);
        }
    }

    /** What was written: matrices adapted and bytes. */
    public record Written(int matrices, long bytes) {
    }

    private RandomLoraGenerator() {
    }

    /**
     * Writes an adapter for the model in {@code base} to {@code out}.
     *
     * @throws IllegalArgumentException if the model has none of the targets, or a matrix's width is
     *                                  not a whole number of the type's blocks
     */
    public static Written write(GgufFile base, LoraSpec spec, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", base.metadata().requireString("general.architecture"));
        w.putString("general.type", "adapter");
        w.putString("general.name", "random LoRA, rank " + spec.rank());
        w.putString("adapter.type", "lora");
        w.putFloat32("adapter.lora.alpha", spec.alpha());
        float s = spec.alpha() != 0 ? spec.alpha() / spec.rank() : 1f;
        int blocks = Math.toIntExact(base.metadata().requireLong(
                base.metadata().requireString("general.architecture") + ".block_count"));
        List<String> names = new ArrayList<>();
        for (LoraTarget t : spec.targets()) {
            if (t.perBlock()) {
                for (int l = 0; l < blocks; l++) {
                    names.add(t.baseName(l));
                }
            } else {
                names.add(t.baseName(0));
            }
        }
        names.sort(null);
        int matrices = 0;
        long bytes = 0;
        for (String name : names) {
            GgufTensorInfo weight = base.tensor(name).orElse(null);
            boolean stacked = name.endsWith("_exps.weight");
            if (weight == null || weight.rank() != (stacked ? 3 : 2)) {
                continue;
            }
            long in = weight.dim(0);
            long outRows = weight.dim(1);
            long experts = stacked ? weight.dim(2) : 1;
            SplittableRandom random = new SplittableRandom(spec.seed() ^ (long) name.hashCode() * 0x9E3779B97F4A7C15L);
            double aRms = 1 / Math.sqrt(in);
            double bRms = spec.strength() * rms(base, weight) * Math.sqrt(in) / (Math.sqrt(spec.rank()) * s);
            float[] a = uniform(random, Math.multiplyExact(in, spec.rank()) * experts, aRms);
            float[] b = uniform(random, Math.multiplyExact(outRows, spec.rank()) * experts, bRms);
            bytes += add(w, name + ".lora_a", spec.type(), stacked ? new long[] {in, spec.rank(), experts}
                    : new long[] {in, spec.rank()}, a);
            bytes += add(w, name + ".lora_b", spec.type(), stacked ? new long[] {spec.rank(), outRows, experts}
                    : new long[] {spec.rank(), outRows}, b);
            matrices++;
        }
        if (matrices == 0) {
            throw new IllegalArgumentException("the model has none of the matrices " + spec.targets().stream().map(LoraTarget::tensor).sorted().toList()
                    + " to adapt");
        }
        w.write(out);
        return new Written(matrices, bytes);
    }

    private static long add(GgufWriter w, String name, GgmlType type, long[] dims, float[] values) {
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": rows of " + dims[0] + " values are not a whole number of "
                    + type.name().toLowerCase(java.util.Locale.ROOT) + " blocks of " + type.blockSize()
                    + "; choose another type or rank");
        }
        TensorCodec codec = TensorCodecs.forType(type);
        w.addTensor(name, type, dims, target -> codec.quantize(values, 0, target, 0, values.length));
        return type.byteSize(values.length);
    }

    /** The root mean square of a matrix's first rows, as stored (dequantized). */
    private static double rms(GgufFile file, GgufTensorInfo t) {
        int cols = Math.toIntExact(t.dim(0));
        int rows = (int) Math.min(t.dim(1), 64);
        float[] values = new float[cols * rows];
        TensorCodecs.forType(t.type()).dequantize(file.data(t), 0, values, 0, values.length);
        double sum = 0;
        for (float v : values) {
            sum += (double) v * v;
        }
        double rms = Math.sqrt(sum / values.length);
        return rms > 0 ? rms : 1 / Math.sqrt(cols);
    }

    private static float[] uniform(SplittableRandom random, long count, double rms) {
        float[] v = new float[Math.toIntExact(count)];
        double half = rms * Math.sqrt(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * half);
        }
        return v;
    }
}
