package dev.switchyard.loadtest.workload;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Turns a {@link WorkloadSpec} into the requests of a run. Every random choice comes from its own
 * stream split off the seed (lengths, prompt words, cancellations), so a seed fixes the workload and
 * changing the request rate in a sweep changes only the arrival times.
 */
public final class WorkloadPlanner {

    /** Tokenize calls in flight while prompts are fitted; enough to hide a loopback round trip. */
    private static final int FIT_PARALLELISM = 16;

    private final WorkloadSpec spec;
    private final PromptCalibrator calibrator;
    private final List<DatasetPrompts.Entry> dataset;

    public WorkloadPlanner(WorkloadSpec spec, PromptCalibrator calibrator, List<DatasetPrompts.Entry> dataset) {
        this.spec = spec;
        this.calibrator = calibrator;
        this.dataset = dataset;
    }

    /** The measured requests (first) and the warm-up requests (second), which never cancel. */
    public record Plan(List<PlannedRequest> measured, List<PlannedRequest> warmup) {
    }

    public Plan plan() throws IOException, InterruptedException {
        SplittableRandom root = new SplittableRandom(spec.seed());
        SplittableRandom lengths = root.split();
        SplittableRandom words = root.split();
        SplittableRandom cancels = root.split();
        int total = spec.numRequests() + spec.warmup();

        // Draw everything first, in request order, so the draws never depend on thread timing.
        int[] inputLens = new int[total];
        int[] outputLens = new int[total];
        long[] wordSeeds = new long[total];
        long[] cancelAfter = new long[total];
        for (int i = 0; i < total; i++) {
            inputLens[i] = spec.inputLen().draw(lengths);
            outputLens[i] = spec.outputLen().draw(lengths);
            wordSeeds[i] = words.nextLong();
            boolean measured = i < spec.numRequests();
            boolean cancel = cancels.nextDouble() < spec.cancelRate();
            long delayMs = spec.cancelDelayMs().draw(cancels);
            cancelAfter[i] = measured && cancel ? delayMs * 1_000_000L : -1;
        }
        String prefix = spec.prefixLen() > 0 && dataset == null
                ? calibrator.fit("", words.nextLong(), spec.prefixLen()).text() : "";

        List<PlannedRequest> all = fitAll(total, i -> {
            if (dataset != null) {
                DatasetPrompts.Entry e = dataset.get(i % dataset.size());
                int out = e.outputLen() > 0 ? e.outputLen() : outputLens[i];
                return new PlannedRequest(i, e.prompt(), calibrator.count(e.prompt()), out, cancelAfter[i]);
            }
            int headTokens = prefix.isEmpty() ? 0 : spec.prefixLen();
            PromptCalibrator.Prompt p = calibrator.fit(prefix, wordSeeds[i], headTokens + inputLens[i]);
            return new PlannedRequest(i, p.text(), p.tokens(), outputLens[i], cancelAfter[i]);
        });
        return new Plan(List.copyOf(all.subList(0, spec.numRequests())),
                List.copyOf(all.subList(spec.numRequests(), total)));
    }

    private interface Maker {
        PlannedRequest make(int index) throws IOException, InterruptedException;
    }

    /** Fits prompts in parallel, since each may take a few tokenize round trips; results keep request order. */
    private static List<PlannedRequest> fitAll(int count, Maker maker) throws IOException, InterruptedException {
        Semaphore permits = new Semaphore(FIT_PARALLELISM);
        List<Future<PlannedRequest>> futures = new ArrayList<>(count);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        return maker.make(index);
                    } finally {
                        permits.release();
                    }
                }));
            }
            List<PlannedRequest> out = new ArrayList<>(count);
            for (Future<PlannedRequest> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case InterruptedException ie -> throw ie;
                case RuntimeException re -> throw re;
                default -> throw new IOException(e.getCause());
            }
        }
    }
}
