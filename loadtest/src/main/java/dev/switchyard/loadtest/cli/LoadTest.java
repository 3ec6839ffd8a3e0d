package dev.switchyard.loadtest.cli;

import dev.switchyard.loadtest.metrics.MetricsScraper;
import dev.switchyard.loadtest.metrics.RunMetrics;
import dev.switchyard.loadtest.metrics.ServerMetricsReport;
import dev.switchyard.loadtest.metrics.Slo;
import dev.switchyard.loadtest.report.ConsoleTable;
import dev.switchyard.loadtest.report.HtmlReport;
import dev.switchyard.loadtest.report.LoadTestResult;
import dev.switchyard.loadtest.report.MeasuredRun;
import dev.switchyard.loadtest.report.ResultJson;
import dev.switchyard.loadtest.run.LoadRunner;
import dev.switchyard.loadtest.run.RunRecords;
import dev.switchyard.loadtest.target.BatchBeside;
import dev.switchyard.loadtest.target.StreamRequest;
import dev.switchyard.loadtest.target.RequestSampling;
import dev.switchyard.loadtest.target.Target;
import dev.switchyard.loadtest.workload.ArrivalSchedule;
import dev.switchyard.loadtest.workload.DatasetPrompts;
import dev.switchyard.loadtest.workload.PlannedRequest;
import dev.switchyard.loadtest.workload.PromptCalibrator;
import dev.switchyard.loadtest.workload.TokenCounter;
import dev.switchyard.loadtest.workload.WorkloadPlanner;
import dev.switchyard.loadtest.workload.WorkloadSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * One load test from start to end: find the model, fit the prompts, warm up, then per load level
 * scrape the server's metrics, run, scrape again and compute the figures; print and write the reports.
 */
final class LoadTest {

    /** What the command line asked for, checked. {@code metricsUrl} is null when scraping is off. */
    record Settings(TargetAddress address, String model, List<String> loraModules, WorkloadSpec workload,
                    RequestSampling sampling,
                    double[] rates, double burstiness,
                    int maxConcurrency, Slo slo, long timeoutNanos, URI metricsUrl, boolean tokenize,
                    Path resultJson, Path reportHtml, Map<String, Object> config, int besideBatch) {
    }

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;
    /** For the batch beside the run (--beside-batch): its upload, making and polling. */
    private final java.net.http.HttpClient batchClient = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(10)).build();

    LoadTest(Settings settings, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.out = out;
        this.err = err;
    }

    int run() throws IOException, InterruptedException {
        report(measure());
        return 0;
    }

    /** Finds the model, fits the prompts, warms up and runs every load level; prints progress to {@code err}. */
    LoadTestResult measure() throws IOException, InterruptedException {
        // Callback threads: a few are plenty, since each only parses a chunk and stamps a time.
        int threads = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
        WorkloadSpec spec = settings.workload();
        try (Target target = settings.address().open(mostInFlight(spec), threads)) {
            // with LoRA adapters named, requests name them in turn, and the prompts are fitted by the first
            List<String> models = settings.loraModules().isEmpty() ? List.of(model(target)) : settings.loraModules();
            String model = models.getFirst();
            PromptCalibrator calibrator = calibrator(target, model);
            List<DatasetPrompts.Entry> dataset = spec.dataset() == null ? null : DatasetPrompts.read(spec.dataset());
            WorkloadPlanner.Plan plan = new WorkloadPlanner(spec, calibrator, dataset).plan();
            LoadRunner runner = new LoadRunner(target, models, settings.sampling(), settings.maxConcurrency(),
                    settings.timeoutNanos());
            if (!plan.warmup().isEmpty()) {
                err.println("loadtest: warming up with " + plan.warmup().size() + " requests");
                runner.run(plan.warmup(), new long[plan.warmup().size()], Double.POSITIVE_INFINITY);
            }
            BatchBeside batch = settings.besideBatch() > 0 ? startBatch(spec, calibrator, dataset, model) : null;
            MetricsScraper scraper = settings.metricsUrl() == null ? null : new MetricsScraper(settings.metricsUrl());
            List<MeasuredRun> runs = new ArrayList<>();
            for (double rate : settings.rates()) {
                err.println("loadtest: " + spec.numRequests() + " requests at rate " + rateText(rate)
                        + (settings.maxConcurrency() > 0 ? ", at most " + settings.maxConcurrency() + " in flight" : ""));
                // The same seed gives the same arrivals for a rate, whatever else changed.
                long[] offsets = ArrivalSchedule.offsetsNanos(spec.numRequests(), rate, settings.burstiness(),
                        new SplittableRandom(spec.seed() ^ Double.doubleToLongBits(rate)));
                Map<String, Double> before = scrape(scraper);
                RunRecords records = runner.run(plan.measured(), offsets, rate);
                ServerMetricsReport server = serverReport(scraper, before);
                runs.add(new MeasuredRun(records, RunMetrics.compute(records, settings.slo()), server));
            }
            BatchBeside.Report besideBatch = batch == null ? null : finishBatch(batch);
            return new LoadTestResult(target.describe(), String.join(",", models), settings.config(),
                    calibrator.report(), List.copyOf(runs), settings.rates().length > 1, besideBatch);
        }
    }

    /**
     * Makes the batch beside the run: as many more requests of the run's kind, their prompts drawn
     * apart from the run's (another seed), so neither finds the other's in the server's prefix cache.
     */
    private BatchBeside startBatch(WorkloadSpec spec, PromptCalibrator calibrator, List<DatasetPrompts.Entry> dataset,
                                   String model) throws IOException, InterruptedException {
        WorkloadSpec batchSpec = new WorkloadSpec(settings.besideBatch(), 0, spec.inputLen(), spec.outputLen(),
                spec.prefixLen(), spec.dataset(), 0, spec.cancelDelayMs(), ~spec.seed());
        List<StreamRequest> requests = new ArrayList<>();
        for (PlannedRequest p : new WorkloadPlanner(batchSpec, calibrator, dataset).plan().measured()) {
            requests.add(new StreamRequest(model, p.prompt(), p.maxTokens(), settings.sampling()));
        }
        TargetAddress.Http http = (TargetAddress.Http) settings.address();
        BatchBeside batch = BatchBeside.start(batchClient, http.url(), http.apiKey(), http.api(), requests);
        batch.awaitRunning(java.time.Duration.ofSeconds(30));
        err.println("loadtest: batch " + batch.id() + " of " + requests.size() + " requests running beside the run");
        return batch;
    }

    /** How far the batch got during the run, and (waiting up to --timeout for it) how it ended; cancelled if not. */
    private BatchBeside.Report finishBatch(BatchBeside batch) throws IOException, InterruptedException {
        int done = batch.done();
        err.println("loadtest: waiting for batch " + batch.id() + " to end (" + done + " of its requests done)");
        BatchBeside.Report report = batch.finish(done, java.time.Duration.ofNanos(settings.timeoutNanos()));
        if (report.seconds() == null) {
            batch.cancel();
        }
        return report;
    }

    /** Prints the table and writes the files asked for. */
    void report(LoadTestResult result) throws IOException {
        ConsoleTable.print(out, result);
        if (settings.resultJson() != null) {
            ResultJson.write(result, settings.resultJson());
            err.println("loadtest: wrote " + settings.resultJson());
        }
        if (settings.reportHtml() != null) {
            HtmlReport.write(result, settings.reportHtml());
            err.println("loadtest: wrote " + settings.reportHtml());
        }
    }

    /**
     * The most requests the run can hold open at once: the concurrency limit, and never more than a run
     * sends. A gRPC target opens enough connections for that many streams.
     */
    private int mostInFlight(WorkloadSpec spec) {
        int sent = Math.max(spec.numRequests(), spec.warmup());
        return settings.maxConcurrency() > 0 ? Math.min(settings.maxConcurrency(), sent) : sent;
    }

    private String model(Target target) throws IOException, InterruptedException {
        if (settings.model() != null) {
            return settings.model();
        }
        List<String> models;
        try {
            models = target.models();
        } catch (IOException e) {
            throw new IOException("cannot discover the model from " + target.describe() + " " + target.modelsEndpoint() + " ("
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + "); is the server up? --model skips discovery", e);
        }
        if (models.isEmpty()) {
            throw new IOException("the server lists no models at " + target.modelsEndpoint() + "; name one with --model");
        }
        err.println("loadtest: model " + models.getFirst() + " (from " + target.modelsEndpoint() + ")");
        return models.getFirst();
    }

    private PromptCalibrator calibrator(Target target, String model) throws IOException, InterruptedException {
        Optional<TokenCounter> counter = settings.tokenize() ? target.tokenCounter(model) : Optional.empty();
        if (counter.isPresent()) {
            PromptCalibrator c = PromptCalibrator.measured(counter.get());
            err.printf(Locale.ROOT, "loadtest: input lengths counted with the server's %s (%.2f tokens per word)%n",
                    target.tokenizeEndpoint(), c.tokensPerWord());
            return c;
        }
        err.println("loadtest: input lengths are approximate (one token per word): "
                + (settings.tokenize() ? "the server offers no " + target.tokenizeEndpoint() : "--no-tokenize")
                + "; the server's usage report gives the true counts");
        return PromptCalibrator.approximate();
    }

    private Map<String, Double> scrape(MetricsScraper scraper) throws InterruptedException {
        if (scraper == null) {
            return null;
        }
        try {
            return scraper.scrape();
        } catch (IOException e) {
            err.println("loadtest: cannot read " + scraper.url() + ": " + e.getMessage());
            return null;
        }
    }

    private ServerMetricsReport serverReport(MetricsScraper scraper, Map<String, Double> before) throws InterruptedException {
        if (scraper == null) {
            return null;
        }
        if (before == null) {
            return ServerMetricsReport.unavailable(scraper.url().toString(), "not readable before the run");
        }
        Map<String, Double> after = scrape(scraper);
        return after == null
                ? ServerMetricsReport.unavailable(scraper.url().toString(), "not readable after the run")
                : ServerMetricsReport.between(scraper.url().toString(), before, after);
    }

    private static String rateText(double rate) {
        return Double.isInfinite(rate) ? "inf" : String.format(Locale.ROOT, "%.2f req/s", rate);
    }
}
