package dev.switchyard.engine.sampling;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What choosing one token costs on the host, per sequence, at Qwen's vocabulary of 152,064 tokens:
 * the settings clients send most, and llama.cpp's further samplers, over normal logits of spread 3
 * ({@code normal}) or of spread 2 with 40 tokens 9 to 25 nats above them ({@code peaked}, a language
 * model's shape).
 * A decode step samples every running sequence this way, on the scheduler's thread, so at batch
 * 16 these figures add up sixteen times per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector"})
public class SamplerBenchmark {

    private static final int VOCAB = 152_064;

    @Param({"greedy", "temperature", "top_p", "top_k", "min_p", "logprobs", "typical", "mirostat", "dynatemp"})
    public String settings;

    @Param({"normal", "peaked"})
    public String shape;

    private Sampler sampler;
    private float[] logits;
    private TokenLogprobs logprobs;

    @Setup
    public void setUp() {
        logits = new float[VOCAB];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < VOCAB; i++) {
            logits[i] = (float) (random.nextGaussian() * (shape.equals("peaked") ? 2 : 3));
        }
        if (shape.equals("peaked")) {
            for (int i = 0; i < 40; i++) {
                logits[i * 3_001] += 25 - i * 0.4f;
            }
        }
        SamplingParams.Builder b = SamplingParams.builder().seed(1L).temperature(0.7);
        SamplingParams params = switch (settings) {
            case "greedy" -> b.temperature(0).build();
            case "temperature" -> b.build();
            case "top_p" -> b.topP(0.9).build();
            case "top_k" -> b.topK(40).build();
            case "min_p" -> b.minP(0.05).build();
            case "logprobs" -> b.topP(0.9).logprobs(5).build();
            case "typical" -> b.extras(new SamplerExtras(0.95, 0, 0, 0.1, null)).build();
            case "mirostat" -> b.extras(new SamplerExtras(1, 0, 0, 0.1, null, new SamplerExtras.Mirostat(2, 5, 0.1), null,
                    SamplerExtras.WHOLE_TEXT)).build();
            case "dynatemp" -> b.extras(new SamplerExtras(1, 0, 0, 0.1, null, null,
                    new SamplerExtras.DynamicTemperature(0.5, 1), SamplerExtras.WHOLE_TEXT)).build();
            default -> throw new IllegalArgumentException(settings);
        };
        sampler = new Sampler(params, VOCAB);
        logprobs = params.wantsLogprobs() ? new TokenLogprobs() : null;
    }

    @Benchmark
    public int sample() {
        return sampler.sample(logits, logprobs);
    }
}
