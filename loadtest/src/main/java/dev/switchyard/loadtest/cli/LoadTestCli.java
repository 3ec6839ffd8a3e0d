package dev.switchyard.loadtest.cli;

import dev.switchyard.loadtest.metrics.Slo;
import dev.switchyard.loadtest.target.ApiKind;
import dev.switchyard.loadtest.target.RequestSampling;
import dev.switchyard.loadtest.workload.IntRange;
import dev.switchyard.loadtest.workload.WorkloadSpec;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code switchyard loadtest}: drives a running server and reports latency and throughput. */
@Command(name = "switchyard loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = LoadTestCli.Version.class,
        description = {
                "Drive a running server with a streaming workload and report TTFT, TPOT, ITL, end-to-end latency,",
                "throughput and goodput, with the server's own /metrics before and after.",
        },
        footer = {
                "",
                "Example:",
                "  switchyard loadtest --url http://localhost:8000 --num-requests 200 \\",
                "      --request-rate 4 --input-len 512 --output-len 128 \\",
                "      --result-json result.json --report-html report.html",
                "  switchyard loadtest --grpc localhost:50051 --metrics-url http://localhost:8000/metrics \\",
                "      --num-requests 200 --max-concurrency 64 --output-len 128",
        })
public final class LoadTestCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "The server's HTTP base URL, e.g. http://localhost:8000.")
    URI url;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "The key of a server that requires one, sent as 'Authorization: Bearer KEY' (gRPC: as "
                    + "authorization metadata) (default: $SWITCHYARD_API_KEY, else none).")
    String apiKey;

    /** Where {@code SWITCHYARD_API_KEY} is read (the process environment; tests give their own). */
    java.util.function.UnaryOperator<String> environment = System::getenv;

    @Option(names = "--grpc", paramLabel = "HOST:PORT",
            description = "Drive Switchyard's gRPC API instead of --url, e.g. localhost:50051.")
    String grpc;

    @Option(names = "--api", defaultValue = "completions", paramLabel = "completions|chat|responses|messages",
            description = "Endpoint to stream from with --url: OpenAI's three, or Anthropic's Messages API "
                    + "(default: ${DEFAULT-VALUE}).")
    ApiKind api;

    @Option(names = "--model", description = "Model name (default: the first one GET /v1/models lists, or GetModelInfo's over gRPC).")
    String model;

    @Option(names = "--lora-modules", split = ",", paramLabel = "NAMES",
            description = "Spread the requests over these model names, each request naming the next in turn: the "
                    + "server's LoRA adapters (and its base model, where listed), as vLLM's benchmark --lora-modules "
                    + "spreads a run. Instead of --model.")
    List<String> loraModules = new java.util.ArrayList<>();

    @Option(names = "--num-requests", defaultValue = "100", description = "Measured requests (default: ${DEFAULT-VALUE}).")
    int numRequests;

    @Option(names = "--request-rate", paramLabel = "RATE|inf", converter = Converters.Rate.class,
            description = "Mean requests per second, or inf to send all at once (default: inf).")
    Double requestRate;

    @Option(names = "--burstiness", defaultValue = "1.0",
            description = "Shape of the gamma-distributed gaps between arrivals: 1 is Poisson, lower is burstier (default: ${DEFAULT-VALUE}).")
    double burstiness;

    @Option(names = "--sweep-rate", split = ",", paramLabel = "RATE", converter = Converters.Rate.class,
            description = "Run once per rate (e.g. 1,2,4,8,inf) and chart throughput against latency.")
    Double[] sweepRates;

    @Option(names = "--max-concurrency", defaultValue = "0", description = "Most requests in flight at once (default: no limit).")
    int maxConcurrency;

    @Option(names = "--warmup", defaultValue = "0", description = "Requests sent and discarded before measuring (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--input-len", defaultValue = "128", paramLabel = "N|MIN-MAX", converter = Converters.Range.class,
            description = "Prompt tokens, fixed or drawn uniformly from a range (default: ${DEFAULT-VALUE}).")
    IntRange inputLen;

    @Option(names = "--output-len", defaultValue = "128", paramLabel = "N|MIN-MAX", converter = Converters.Range.class,
            description = "Output tokens (max_tokens with ignore_eos), fixed or a range (default: ${DEFAULT-VALUE}).")
    IntRange outputLen;

    @Option(names = "--prefix-len", defaultValue = "0",
            description = "Tokens of a prefix shared by every prompt, before its --input-len own tokens (default: ${DEFAULT-VALUE}).")
    int prefixLen;

    @Option(names = "--dataset", paramLabel = "FILE.jsonl",
            description = "Prompts from a JSONL file ({\"prompt\": ..., \"output_len\": N}) instead of generated ones.")
    Path dataset;

    @Option(names = "--cancel-rate", defaultValue = "0", description = "Fraction of requests the client cancels (default: ${DEFAULT-VALUE}).")
    double cancelRate;

    @Option(names = "--cancel-delay", defaultValue = "0-1000", paramLabel = "MS|MIN-MAX", converter = Converters.Range.class,
            description = "Milliseconds after sending at which a cancelled request is dropped (default: ${DEFAULT-VALUE}).")
    IntRange cancelDelay;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for lengths, prompts, arrivals and cancellations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--slo", paramLabel = "ttft:MS,tpot:MS,e2e:MS", converter = Converters.Objectives.class,
            description = "Objectives for goodput (any subset).")
    Slo slo;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "A request still open after this long fails as 'timeout' (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--metrics-url", paramLabel = "URL", description = "Prometheus page to scrape (default: URL/metrics; with --grpc, none unless given).")
    URI metricsUrl;

    @Option(names = "--no-server-metrics", description = "Do not scrape the server's metrics.")
    boolean noServerMetrics;

    @Option(names = "--no-tokenize", description = "Do not calibrate prompts with the server's /tokenize; approximate one token per word.")
    boolean noTokenize;

    @Option(names = "--result-json", paramLabel = "FILE", description = "Write the results as JSON (keys in RESULTS.md).")
    Path resultJson;

    @Option(names = "--report-html", paramLabel = "FILE", description = "Write a self-contained HTML report with charts.")
    Path reportHtml;

    @Option(names = "--beside-batch", defaultValue = "0", paramLabel = "N",
            description = "After warming up, make a batch of N more requests of the same kind through the server's "
                    + "Batch API (/v1/files and /v1/batches), measure the run beside it, then report how far it got "
                    + "during the run and when it ended (default: none).")
    int besideBatch;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T",
            description = "Sampling temperature of every request (default: ${DEFAULT-VALUE}, greedy, as vLLM's bench serve).")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p of every request (default: the server's).")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k of every request (default: the server's).")
    Integer topK;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p of every request (default: the server's).")
    Double minP;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        LoadTest.Settings settings = settings();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return new LoadTest(settings, out, err).run();
    }

    /** Checks the flags together and names the first bad one; every problem here exits with 2. */
    LoadTest.Settings settings() {
        TargetAddress address = address();
        if (numRequests < 1) {
            throw usage("--num-requests must be at least 1, got " + numRequests);
        }
        if (requestRate != null && sweepRates != null) {
            throw usage("--request-rate and --sweep-rate exclude each other");
        }
        if (sweepRates != null && sweepRates.length == 0) {
            throw usage("--sweep-rate needs at least one rate");
        }
        if (!(burstiness > 0) || Double.isInfinite(burstiness)) {
            throw usage("--burstiness must be a positive number, got " + burstiness);
        }
        if (maxConcurrency < 0) {
            throw usage("--max-concurrency must be at least 1, got " + maxConcurrency);
        }
        if (warmup < 0) {
            throw usage("--warmup must not be negative, got " + warmup);
        }
        if (inputLen.min() < 1 && dataset == null) {
            throw usage("--input-len must be at least 1, got " + inputLen);
        }
        if (outputLen.min() < 1) {
            throw usage("--output-len must be at least 1, got " + outputLen);
        }
        if (prefixLen < 0) {
            throw usage("--prefix-len must not be negative, got " + prefixLen);
        }
        if (dataset != null && prefixLen > 0) {
            throw usage("--prefix-len applies to generated prompts, not to --dataset");
        }
        if (!(cancelRate >= 0 && cancelRate <= 1)) {
            throw usage("--cancel-rate must be between 0 and 1, got " + cancelRate);
        }
        if (timeoutSeconds < 1) {
            throw usage("--timeout must be at least 1 second, got " + timeoutSeconds);
        }
        if (besideBatch < 0) {
            throw usage("--beside-batch must not be negative, got " + besideBatch);
        }
        if (besideBatch > 0 && !(address instanceof TargetAddress.Http)) {
            throw usage("--beside-batch makes its batch through the HTTP Batch API: use --url");
        }
        RequestSampling sampling = sampling();
        double[] rates = sweepRates != null
                ? Arrays.stream(sweepRates).mapToDouble(Double::doubleValue).toArray()
                : new double[] {requestRate != null ? requestRate : Double.POSITIVE_INFINITY};
        URI metrics = noServerMetrics ? null : metricsUrl != null ? metricsUrl : address.defaultMetricsUrl();
        WorkloadSpec workload = new WorkloadSpec(numRequests, warmup, inputLen, outputLen, prefixLen, dataset,
                cancelRate, cancelDelay, seed);
        if (!loraModules.isEmpty() && model != null) {
            throw new ParameterException(spec.commandLine(), "--lora-modules names the models: leave out --model");
        }
        return new LoadTest.Settings(address, model, List.copyOf(loraModules), workload, sampling, rates, burstiness,
                maxConcurrency, slo,
                timeoutSeconds * 1_000_000_000L, metrics, !noTokenize, resultJson, reportHtml,
                config(address, rates, sampling), besideBatch);
    }

    /** The sampling flags together; a value out of range is a usage error naming its flag. */
    private RequestSampling sampling() {
        try {
            return new RequestSampling(temperature, topP, topK, minP);
        } catch (IllegalArgumentException e) {
            throw usage("--" + e.getMessage()); // the record names each field as its flag does
        }
    }

    /** Exactly one of {@code --url} and {@code --grpc}; {@code --api} chooses among OpenAI endpoints only. */
    private TargetAddress address() {
        if (url != null && grpc != null) {
            throw usage("--url and --grpc exclude each other: drive either the HTTP or the gRPC API");
        }
        if (grpc != null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--api")) {
                throw usage("--api chooses an OpenAI HTTP endpoint; with --grpc, Generate is driven with text input");
            }
            TargetAddress.Grpc address = TargetAddress.Grpc.parse(grpc.strip(), key());
            if (address == null) {
                throw usage("--grpc must be HOST:PORT, e.g. localhost:50051, got '" + grpc + "'");
            }
            return address;
        }
        if (url == null) {
            throw usage("--url or --grpc is required (the server's HTTP base URL, e.g. http://localhost:8000, "
                    + "or its gRPC HOST:PORT)");
        }
        if (url.getScheme() == null || !url.getScheme().matches("https?") || url.getHost() == null) {
            throw usage("--url must be an http:// or https:// URL with a host, got '" + url + "'");
        }
        return new TargetAddress.Http(url, api, key());
    }

    /** {@code --api-key}, else {@code SWITCHYARD_API_KEY} (the server's own variable); null for none. */
    private String key() {
        String key = apiKey != null ? apiKey : environment.apply("SWITCHYARD_API_KEY");
        return key == null || key.isBlank() ? null : key.strip();
    }

    /** The request as the result file records it (RESULTS.md, "config"). */
    private Map<String, Object> config(TargetAddress address, double[] rates, RequestSampling sampling) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("api", address.apiLabel());
        c.put("num_requests", numRequests);
        c.put("warmup", warmup);
        c.put("request_rate", rates.length == 1 ? rate(rates[0]) : Arrays.stream(rates).mapToObj(LoadTestCli::rate).toList());
        c.put("burstiness", burstiness);
        c.put("max_concurrency", maxConcurrency > 0 ? maxConcurrency : null);
        c.put("input_len", inputLen.toString());
        c.put("output_len", outputLen.toString());
        c.put("prefix_len", prefixLen);
        c.put("dataset", dataset == null ? null : dataset.toString());
        c.put("cancel_rate", cancelRate);
        c.put("cancel_delay_ms", cancelDelay.toString());
        c.put("seed", seed);
        c.put("lora_modules", loraModules.isEmpty() ? null : List.copyOf(loraModules));
        c.put("beside_batch", besideBatch > 0 ? besideBatch : null);
        c.putAll(sampling.describe());
        c.put("timeout_s", timeoutSeconds);
        return c;
    }

    private static Object rate(double r) {
        return Double.isInfinite(r) ? "inf" : r;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command with the given streams and returns the exit code (tests call this directly). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        return commandLine(out, err, verbose).execute(args);
    }

    /** The command as {@link #execute} parses it: case-insensitive enum values, errors as CliErrors reports them. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, boolean verbose) {
        CommandLine cli = new CommandLine(new LoadTestCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(new CliErrors.ParameterErrors());
        cli.setExecutionExceptionHandler(new CliErrors.ExecutionErrors(verbose));
        return cli;
    }

    /** The version from the jar's manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LoadTestCli.class.getPackage().getImplementationVersion();
            return new String[] {"switchyard loadtest " + (v != null ? v : "development") + " (Java " + Runtime.version() + ")"};
        }
    }
}
