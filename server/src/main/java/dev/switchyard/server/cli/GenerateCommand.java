package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.server.serving.AdapterSpec;
import dev.switchyard.engine.modelgen.DemoModel;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenConstraint;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.engine.structured.Grammar;
import dev.switchyard.engine.structured.GrammarException;
import dev.switchyard.engine.structured.OutputConstraint;
import dev.switchyard.engine.structured.TokenTexts;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.kernels.Backend;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.LlamaSamplers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code switchyard generate}: one prompt, streamed to standard output as it is produced. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt and stream it as it is produced. Without --model, the built-in "
                + "demo model is used (written on first use into the cache folder: $SWITCHYARD_CACHE, "
                + "$XDG_CACHE_HOME/switchyard or ~/.cache/switchyard).")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt text.")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "A system message (with --chat).")
    String system;

    @picocli.CommandLine.ArgGroup(exclusive = true)
    GrammarSource grammar;

    /** A grammar to hold the output to, as text or in a file (llama.cpp's --grammar and --grammar-file). */
    static final class GrammarSource {
        @Option(names = "--grammar", paramLabel = "GBNF",
                description = "Hold the output to a sentence of this grammar (GBNF, llama.cpp's notation; the output is "
                        + "its rule root).")
        String text;

        @Option(names = "--grammar-file", paramLabel = "FILE.gbnf", description = "As --grammar, read from a file.")
        Path file;

        String read() throws java.io.IOException {
            return text != null ? text : java.nio.file.Files.readString(file);
        }
    }

    @Option(names = "--prediction-file", paramLabel = "FILE",
            description = "The reply you expect, mostly (a file you ask to have edited): proposed as speculative tokens, "
                    + "so the reply is the same, sooner where it holds (OpenAI's Predicted Outputs).")
    Path predictionFile;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--min-p", defaultValue = "0", description = "Minimum probability relative to the best token (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--seed", description = "Random seed: the same seed gives the same output.")
    Long seed;

    @Option(names = "--typical", paramLabel = "P", description = "Locally typical sampling mass, 1 = off (llama.cpp's).")
    Double typical;

    @Option(names = "--top-nsigma", paramLabel = "N", description = "Keep tokens within N standard deviations of the best, "
            + "-1 = off (llama.cpp's).")
    Double topNSigma;

    @Option(names = "--xtc-probability", paramLabel = "P", description = "How often XTC removes the top choices, 0 = off.")
    Double xtcProbability;

    @Option(names = "--xtc-threshold", paramLabel = "T", description = "XTC's probability threshold (default 0.1).")
    Double xtcThreshold;

    @Option(names = "--dry-multiplier", paramLabel = "M", description = "DRY repetition penalty, 0 = off (llama.cpp's).")
    Double dryMultiplier;

    @Option(names = "--dry-base", paramLabel = "B", description = "DRY's base (default 1.75).")
    Double dryBase;

    @Option(names = "--dry-allowed-length", paramLabel = "N", description = "Repetitions DRY lets pass (default 2).")
    Integer dryAllowedLength;

    @Option(names = "--dry-penalty-last-n", paramLabel = "N", description = "Tokens DRY searches, -1 = all, 0 = off.")
    Integer dryPenaltyLastN;

    @Option(names = "--dry-sequence-breaker", paramLabel = "S",
            description = "A string that breaks repetitions for DRY; repeat for several (default: newline, colon, quote, "
                    + "asterisk).")
    List<String> dryBreakers;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "R",
            description = "Repetition penalty on the tokens seen, 1 = off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N",
            description = "Tokens the penalties look back over, -1 = all (the default), 0 = penalties off.")
    Integer repeatLastN;

    @Option(names = "--presence-penalty", defaultValue = "0", paramLabel = "P",
            description = "Subtracted once from every generated token's logit, in [-2, 2] (default: ${DEFAULT-VALUE}).")
    double presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0", paramLabel = "F",
            description = "Subtracted per earlier generation of the token, in [-2, 2] (default: ${DEFAULT-VALUE}).")
    double frequencyPenalty;

    @Option(names = "--mirostat", paramLabel = "V",
            description = "Mirostat version 1 or 2, 0 = off; replaces top-k, top-p, min-p and the masking filters.")
    Integer mirostat;

    @Option(names = "--mirostat-ent", paramLabel = "TAU", description = "Mirostat's target surprise in bits (default 5).")
    Double mirostatTau;

    @Option(names = "--mirostat-lr", paramLabel = "ETA", description = "Mirostat's learning rate (default 0.1).")
    Double mirostatEta;

    @Option(names = "--dynatemp-range", paramLabel = "R",
            description = "Dynamic temperature within --temperature +/- R, following the entropy; 0 = off.")
    Double dynatempRange;

    @Option(names = "--dynatemp-exp", paramLabel = "E", description = "Dynamic temperature's exponent (default 1).")
    Double dynatempExponent;

    @Option(names = {"-l", "--logit-bias"}, paramLabel = "ID(+|-)BIAS",
            description = "Add BIAS to a token's logit, e.g. 15043+1 or 2-inf (inf: 100, which bans or forces it); repeatable.")
    List<String> logitBias = new ArrayList<>();

    @Option(names = {"-sp", "--special"}, description = "Print control tokens' text (a chat format's markers) too; the "
            + "end-of-generation token the reply stops on stays out.")
    boolean special;

    @Option(names = "--logprobs", defaultValue = "0", paramLabel = "N", description = "With --json, the N most likely alternatives of each token.")
    int logprobs;

    @Option(names = "--json", description = "Print one JSON object per token: {\"id\",\"text\",\"logprob\",\"top\"}.")
    boolean json;

    @picocli.CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", description = "CPU worker threads (default: all cores).")
    Integer threads;

    @picocli.CommandLine.Mixin
    DispatchOptions dispatch = new DispatchOptions();

    @picocli.CommandLine.Mixin
    OffloadOptions offload = new OffloadOptions();

    @picocli.CommandLine.Mixin
    HybridOption hybrid = new HybridOption();

    @picocli.CommandLine.Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @picocli.CommandLine.Mixin
    SpeculationOption speculation = new SpeculationOption();

    @picocli.CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ExpertOffload experts = offload.toOffload(hybrid.enabled());
        Path path = ModelPaths.resolve(model, err);
        SamplingParams sampling = named(() -> SamplingParams.builder()
                .temperature(temperature).topP(topP).topK(topK).minP(minP).seed(seed)
                .repetitionPenalty(repeatPenalty).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty)
                .logprobs(json ? logprobs : SamplingParams.NO_LOGPROBS)
                .build());
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1");
        }
        Speculation lookup = speculation.speculation();
        List<AdapterSpec> adapters = lora.adapters();
        Grammar held = null;
        if (grammar != null) {
            String where = grammar.text != null ? "--grammar" : "--grammar-file " + grammar.file;
            try {
                held = Grammar.compile(grammar.read());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(where + ": cannot read it: " + e.getMessage());
            } catch (GrammarException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
        String predicted = null;
        if (predictionFile != null) {
            try {
                predicted = java.nio.file.Files.readString(predictionFile);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--prediction-file " + predictionFile + ": cannot read it: " + e.getMessage());
            }
        }
        try (Backend backend = device.open(threads, err)) {
            var moe = dispatch.toConfig();
            int chunk = Math.max(256, moe.window());
            try (LoadedModel loaded = LoadedModel.open(path, backend, chunk, 1, c -> 0, moe, experts, kvCache.type)) {
                LoraMix adapterMix = LoraOptions.loadInto(loaded, adapters);
                Tokenizer tokenizer = loaded.tokenizer();
                Map<Integer, Double> biases = LogitBiasFlag.parse(logitBias, tokenizer.vocabSize());
                SamplingParams read = sampling;
                sampling = named(() -> read.toBuilder().extras(extras(tokenizer)).logitBias(biases).build());
                int[] ids = PromptEncoder.encode(loaded, prompt, chat, system, err);
                int budget = Math.min(maxTokens, loaded.config().contextLength() - ids.length);
                if (budget < 1) {
                    throw new IllegalArgumentException("the prompt (" + ids.length + " tokens) fills the model's context of "
                            + loaded.config().contextLength());
                }
                StreamingDetokenizer detokenizer = new StreamingDetokenizer(tokenizer, special);
                ObjectMapper mapper = new ObjectMapper();
                long start = System.nanoTime();
                long[] firstToken = {0};
                long[] proposals = new long[3]; // proposed, kept, steps that proposed
                SchedulerObserver counts = new SchedulerObserver() {
                    @Override
                    public void speculated(int drafted, int accepted) {
                        proposals[0] += drafted;
                        proposals[1] += accepted;
                        proposals[2]++;
                    }
                };
                Supplier<TokenConstraint> constraint = null;
                if (held != null) {
                    TokenTexts texts = TokenTexts.of(tokenizer);
                    List<OutputConstraint.Part> parts = List.of(OutputConstraint.grammar(held));
                    constraint = () -> new OutputConstraint(texts, parts, null);
                }
                List<GenerationResult> results;
                try (LoadedModel draftModel = speculation.openDraft(backend, loaded, chunk, 1, kvCache.type)) {
                    results = loaded.generator(lookup, counts, speculation.asDraft(draftModel, loaded)).generate(
                        List.of(new GenerationRequest(ids, sampling, budget, null, constraint)
                                .withAdapters(adapterMix)
                                .withPrediction(predicted == null ? null : tokenizer.encode(predicted, false, false))),
                        (request, token, lp) -> {
                            if (firstToken[0] == 0) {
                                firstToken[0] = System.nanoTime();
                            }
                            // no ignore-eos here: an end-of-generation token always ends the reply
                            String delta = special && tokenizer.isEog(token) ? "" : detokenizer.push(token);
                            if (json) {
                                out.println(tokenJson(mapper, token, delta, lp));
                            } else {
                                out.print(delta);
                            }
                            out.flush();
                        });
                }
                String rest = detokenizer.finish();
                if (!json) {
                    out.println(rest);
                }
                out.flush();
                GenerationResult r = results.getFirst();
                double total = (System.nanoTime() - start) / 1e9;
                double prefill = (firstToken[0] - start) / 1e9;
                double decodeRate = r.tokens().length > 1 ? (r.tokens().length - 1) / (total - prefill) : 0;
                err.printf(Locale.ROOT, "%d prompt tokens in %.2f s (%.1f tok/s), %d generated in %.2f s (%.1f tok/s), finish: %s%n",
                        ids.length, prefill, ids.length / prefill, r.tokens().length, total - prefill, decodeRate,
                        r.finishReason().apiName());
                if (lookup.enabled() || predicted != null) {
                    err.printf(Locale.ROOT, "speculation: %d of %d proposed tokens kept, in %d steps that proposed%n",
                            proposals[1], proposals[0], proposals[2]);
                }
                if (predicted != null) {
                    err.printf(Locale.ROOT, "prediction: %d tokens accepted, %d rejected%n", r.acceptedPredictionTokens(),
                            r.rejectedPredictionTokens());
                }
                if (loaded.offloadedExperts() != null) {
                    err.println(OffloadReport.summary(loaded.offloadedExperts(),
                            loaded.offloadedExperts().residency().stats().snapshot()));
                    err.println("expert tier: " + loaded.offloadedExperts().describe());
                }
            }
        }
        return 0;
    }

    /** llama.cpp's samplers from their flags, named as the flags in errors. */
    private dev.switchyard.engine.sampling.SamplerExtras extras(Tokenizer tokenizer) {
        try {
            return LlamaSamplers.extras(new LlamaSamplers.Settings(typical, topNSigma, xtcProbability, xtcThreshold,
                    dryMultiplier, dryBase, dryAllowedLength, dryPenaltyLastN, dryBreakers, mirostat, mirostatTau,
                    mirostatEta, dynatempRange, dynatempExponent, repeatLastN),
                    strings -> LlamaSamplers.tokensContaining(tokenizer, strings), "");
        } catch (InvalidRequestException e) {
            String flag = e.param() == null ? null : FLAGS.getOrDefault(e.param().replaceAll("\\[.*", ""), null);
            throw new IllegalArgumentException((flag == null ? "" : flag + ": ") + e.getMessage());
        }
    }

    /** Builds sampling settings, naming the flag of a bad value (the engine's messages start with the field's name). */
    private static SamplingParams named(Supplier<SamplingParams> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            String field = InvalidRequestException.engineField(e);
            String flag = field != null ? FLAGS.get(field) : null;
            throw new IllegalArgumentException((flag == null ? "" : flag + ": ") + e.getMessage());
        }
    }

    /** The request fields' flags, for errors. */
    private static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("typical_p", "--typical"),
            Map.entry("top_n_sigma", "--top-nsigma"), Map.entry("xtc_probability", "--xtc-probability"),
            Map.entry("xtc_threshold", "--xtc-threshold"), Map.entry("dry_multiplier", "--dry-multiplier"),
            Map.entry("dry_base", "--dry-base"), Map.entry("dry_allowed_length", "--dry-allowed-length"),
            Map.entry("dry_penalty_last_n", "--dry-penalty-last-n"),
            Map.entry("dry_sequence_breakers", "--dry-sequence-breaker"), Map.entry("mirostat", "--mirostat"),
            Map.entry("mirostat_tau", "--mirostat-ent"), Map.entry("mirostat_eta", "--mirostat-lr"),
            Map.entry("dynatemp_range", "--dynatemp-range"), Map.entry("dynatemp_exponent", "--dynatemp-exp"),
            Map.entry("repeat_last_n", "--repeat-last-n"), Map.entry("temperature", "--temperature"),
            Map.entry("top_p", "--top-p"), Map.entry("top_k", "--top-k"), Map.entry("min_p", "--min-p"),
            Map.entry("repetition_penalty", "--repeat-penalty"), Map.entry("presence_penalty", "--presence-penalty"),
            Map.entry("frequency_penalty", "--frequency-penalty"), Map.entry("logprobs", "--logprobs"),
            Map.entry("logit_bias", "--logit-bias"));

    private static String tokenJson(ObjectMapper mapper, int token, String delta,
                                    dev.switchyard.engine.sampling.TokenLogprobs lp) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", token);
        m.put("text", delta);
        m.put("logprob", lp.logprob());
        List<Object[]> top = new ArrayList<>();
        for (int i = 0; i < lp.topCount(); i++) {
            top.add(new Object[] {lp.topId(i), lp.topLogprob(i)});
        }
        m.put("top", top);
        try {
            return mapper.writeValueAsString(m);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
