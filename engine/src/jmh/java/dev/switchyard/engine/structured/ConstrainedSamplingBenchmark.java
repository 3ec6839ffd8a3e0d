package dev.switchyard.engine.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.SamplingScratch;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tokenizer.TokenizerEncodeBenchmark;
import dev.switchyard.engine.tokenizer.Tokenizers;
import java.io.IOException;
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
 * What holding a reply to a schema or a regular expression costs per token, on a real vocabulary,
 * beside sampling without it: {@code free} samples greedily with no constraint; {@code allowedFirst} with one whose choice
 * is allowed (one token tried); {@code refusedFirst} with one that refuses the model's favourite, so
 * every token of the vocabulary is tried and masked (the worst case). A JSON reply stands inside an
 * object, after a key's opening quote, where only the schema's property names may go on; a regular
 * expression's at its start, where a digit or a parenthesis may come; a grammar's inside a quoted
 * text, where almost any token may go on (the most tokens to walk).
 *
 * <p>Vocabularies come from {@code <shared>/vocab} ({@code -Dswitchyard.shared.dir} or the nearest
 * {@code shared/vocab} above the working directory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
public class ConstrainedSamplingBenchmark {

    @Param({"gpt-2", "deepseek-llm"})
    public String vocab;

    /** {@code json}: the schema below; {@code regex}: a phone number's pattern, at its start; {@code grammar}: settings, inside a text. */
    @Param({"json", "regex", "grammar"})
    public String shape;

    private Sampler free;
    private OutputConstraint constraint;
    private Sampler held;
    private float[] logits;
    private int favourite;
    private int allowed;
    private TokenTexts texts;
    private List<OutputConstraint.Part> parts;

    /** Settings as quoted texts by name, as GBNF: inside a text, almost any token may come next. */
    private static final String SETTINGS_GRAMMAR = """
            root ::= "{" ws pair ( "," ws pair )* ws "}"
            pair ::= key ws "=" ws text
            key  ::= [a-z_]+
            text ::= "\\"" [^"\\n]* "\\""
            ws   ::= [ \\t\\n]*
            """;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Tokenizer tokenizer = Tokenizers.fromFile(TokenizerEncodeBenchmark.vocabDir().resolve("ggml-vocab-" + vocab + ".gguf"));
        texts = TokenTexts.of(tokenizer);
        JsonSchema schema = JsonSchemaCompiler.compile(new ObjectMapper().readTree("{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"},\"country\":{\"type\":\"string\"},\"unit\":{\"enum\":"
                + "[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\"],\"additionalProperties\":false}"));
        boolean regex = shape.equals("regex");
        parts = switch (shape) {
            case "regex" -> List.of(OutputConstraint.regex(RegexPattern.compile("\\(?[0-9]{3}\\)?[ -]?[0-9]{3}-[0-9]{4}")));
            case "grammar" -> List.of(OutputConstraint.grammar(Grammar.compile(SETTINGS_GRAMMAR)));
            default -> OutputConstraint.jsonOnly(schema);
        };
        int size = tokenizer.vocabSize();
        logits = new float[size];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < size; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        favourite = tokenizer.encode(shape.equals("grammar") ? "\n" : "hello")[0]; // refused where each reply stands
        allowed = tokenizer.encode(regex ? "5" : "c")[0];
        logits[favourite] = 30f;
        SamplingParams greedy = SamplingParams.builder().temperature(0).build();
        free = new Sampler(greedy, size, new SamplingScratch(size));
        constraint = new OutputConstraint(texts, parts, null);
        String before = switch (shape) {
            case "regex" -> "";
            case "grammar" -> "{a = \"";
            default -> "{\"";
        };
        for (int t : tokenizer.encode(before)) {
            constraint.accept(t);
        }
        held = new Sampler(greedy, size, new SamplingScratch(size), constraint);
    }

    @Benchmark
    public int free() {
        return free.sample(logits);
    }

    @Benchmark
    public int allowedFirst() {
        float saved = logits[allowed];
        logits[allowed] = 40f;
        int token = held.sample(logits);
        logits[allowed] = saved;
        return token;
    }

    @Benchmark
    public int refusedFirst() {
        return held.sample(logits);
    }
}
