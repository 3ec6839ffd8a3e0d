package dev.switchyard.engine.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding about 1 MB of mixed English prose, source code and other scripts with real vocabularies.
 * {@code encode} is the steady state (word cache warm); {@code encodeCold} empties the cache first.
 *
 * <p>The vocabularies are read from {@code <shared>/vocab}, found through {@code -Dswitchyard.shared.dir}
 * (pass it with {@code -jvmArgsAppend}) or as the nearest {@code shared/vocab} above the working directory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerEncodeBenchmark {

    /** ggml-vocab-NAME.gguf: SentencePiece (llama-spm) and byte-level BPE (deepseek-llm 102k, gpt-2 50k). */
    @Param({"llama-spm", "deepseek-llm", "gpt-2"})
    public String vocab;

    private Tokenizer tokenizer;
    private String text;

    @Setup(Level.Trial)
    public void load() throws IOException {
        tokenizer = Tokenizers.fromFile(vocabDir().resolve("ggml-vocab-" + vocab + ".gguf"));
        text = mixedText(1 << 20, 20240601L);
    }


    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, false, false);
    }

    @Benchmark
    public int[] encodeCold() {
        switch (tokenizer) {
            case ByteLevelBpeTokenizer bpe -> bpe.clearCache();
            case SentencePieceTokenizer spm -> spm.clearCache();
            default -> { }
        }
        return tokenizer.encode(text, false, false);
    }

    /** The shared folder's vocab directory: {@code -Dswitchyard.shared.dir}, or the nearest {@code shared} above. */
    public static Path vocabDir() {
        List<Path> candidates = new ArrayList<>();
        String property = System.getProperty("switchyard.shared.dir");
        if (property != null) {
            candidates.add(Path.of(property));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            candidates.add(p.resolve("shared"));
        }
        return candidates.stream().map(p -> p.resolve("vocab")).filter(Files::isDirectory).findFirst()
                .orElseThrow(() -> new IllegalStateException("no shared/vocab folder; pass -Dswitchyard.shared.dir"));
    }

    private static final String[] WORDS = {
        "the", "of", "and", "to", "in", "expert", "router", "tokens", "memory", "offload", "layer", "weights",
        "Mixture", "inference", "server", "quantized", "throughput", "latency", "cache", "batch", "GPU", "model",
        "isn't", "we'll", "they're", "2024", "3.14159", "1,000,000",
    };

    private static final String[] CODE = {
        "public static int[] encode(String text, boolean addBos) {\n",
        "    for (int i = 0; i < n; i++) {\n        sum += a[i] * b[i];\n    }\n",
        "def forward(self, x):\n    return self.w2(F.silu(self.w1(x)) * self.w3(x))\n",
        "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
        "SELECT id, name FROM experts WHERE load > 0.75 ORDER BY load DESC;\n",
        "    if (err != nil) {\n        return fmt.Errorf(\"open %s: %w\", path, err)\n    }\n",
    };

    private static final String[] OTHER = {
        "Äpfel und Birnen schmecken süß. ", "нещо на Български език. ", "我想在apple工作，这是一个测试。",
        "日本語のテキストを分割します。", "한국어 문장도 포함됩니다. ", "καλημέρα κόσμε. ", "مرحبا بالعالم. ",
        "emoji 🦙🚀✅😶‍🌫️ mixed in. ", "naïve café ﬁnance — “quotes” … ",
    };

    /** Deterministic text of about {@code size} chars: 60% prose, 30% code, 10% other scripts. */
    static String mixedText(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(size + 256);
        while (sb.length() < size) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                int words = 8 + random.nextInt(16);
                for (int i = 0; i < words; i++) {
                    String w = WORDS[random.nextInt(WORDS.length)];
                    if (i == 0) {
                        w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                    }
                    sb.append(w).append(random.nextInt(12) == 0 ? ", " : " ");
                }
                sb.setLength(sb.length() - 1);
                sb.append(random.nextInt(4) == 0 ? ".\n\n" : ". ");
            } else if (kind < 9) {
                sb.append(CODE[random.nextInt(CODE.length)]);
            } else {
                sb.append(OTHER[random.nextInt(OTHER.length)]);
            }
        }
        return sb.toString();
    }
}
