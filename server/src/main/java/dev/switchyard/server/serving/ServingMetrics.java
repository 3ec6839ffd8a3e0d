package dev.switchyard.server.serving;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.schedule.Scheduler;
import dev.switchyard.engine.schedule.SchedulerObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The serving metrics, in Prometheus text format, each labelled with the model's name. The request
 * figures come from the scheduler's thread through {@link SchedulerObserver} (counted per sequence, so
 * a request with {@code n} choices counts {@code n} times, as vLLM counts them); gauges are read from
 * the scheduler when scraped.
 */
public final class ServingMetrics implements SchedulerObserver {

    /** Latency buckets in seconds, from sub-millisecond inter-token gaps to minute-long requests. */
    private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15,
        0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160};
    private static final double NANOS = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final String model;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final CounterDataPoint preemptions;
    private final CounterDataPoint prefixTokens;
    private final CounterDataPoint toolCalls;
    private final CounterDataPoint promptTokens;
    private final CounterDataPoint generationTokens;
    private final CounterDataPoint clientDisconnects;
    private final Map<FinishReason, CounterDataPoint> finished = new EnumMap<>(FinishReason.class);
    private final CounterDataPoint failed;
    private final CounterDataPoint draftTokens;
    private final CounterDataPoint acceptedTokens;
    /** Sequences that applied each LoRA adapter, by the adapter's name. */
    private final Counter loraSequences;
    private final Counter batchRequests;
    /** Per API key (with --api-key-file): requests by outcome, and their prompt and generated tokens. */
    private final Counter keyRequests;
    private final Counter keyPromptTokens;
    private final Counter keyGenerationTokens;
    private final Counter batchesEnded;
    private final DistributionDataPoint timeToFirstToken;
    private final DistributionDataPoint interTokenLatency;
    private final DistributionDataPoint e2eLatency;
    private final DistributionDataPoint queueTime;

    /**
     * @param scheduler supplies the gauges; it may be set after construction (the scheduler takes this
     *                  object as its observer), and reads as zero until it is
     */
    public ServingMetrics(String model, Supplier<Scheduler> scheduler) {
        this.model = model;
        gauge("switchyard_requests_running", "Sequences in the running batch.", model,
                () -> scheduler.get() == null ? 0 : scheduler.get().running());
        gauge("switchyard_requests_waiting", "Sequences waiting for admission, preempted ones included.", model,
                () -> scheduler.get() == null ? 0 : scheduler.get().waiting());
        gauge("switchyard_kv_usage_ratio", "Fraction of KV-cache blocks in use.", model,
                () -> scheduler.get() == null ? 0 : scheduler.get().kvUsage());
        preemptions = counter("switchyard_preemptions_total", "Sequences preempted to free KV blocks.", model);
        prefixTokens = counter("switchyard_prefix_cache_tokens_total",
                "Positions sequences took from the prefix cache instead of computing them.", model);
        toolCalls = counter("switchyard_tool_calls_total", "Tool calls returned apart from the content.", model);
        promptTokens = counter("switchyard_prompt_tokens_total", "Prompt tokens admitted.", model);
        generationTokens = counter("switchyard_generation_tokens_total", "Tokens generated.", model);
        clientDisconnects = counter("switchyard_client_disconnects_total",
                "Requests whose client went away before they finished.", model);
        Counter success = Counter.builder().name("switchyard_request_success_total")
                .help("Sequences that finished, by finish reason.").labelNames("model", "finish_reason").register(registry);
        for (FinishReason reason : FinishReason.values()) {
            finished.put(reason, success.labelValues(model, reason.apiName()));
        }
        failed = counter("switchyard_request_failure_total", "Sequences that failed with an error.", model);
        draftTokens = counter("switchyard_spec_decode_draft_tokens_total",
                "Tokens proposed by speculative decoding (prompt lookup or a draft model) and computed beside the next token.", model);
        acceptedTokens = counter("switchyard_spec_decode_accepted_tokens_total",
                "Proposed tokens the sampler chose, emitted without a step of their own.", model);
        loraSequences = Counter.builder().name("switchyard_lora_requests_total")
                .help("Sequences that applied a LoRA adapter, by adapter.").labelNames("model", "adapter")
                .register(registry);
        batchRequests = Counter.builder().name("switchyard_batch_requests_total")
                .help("Requests of batches (the Batch API's and Message Batches') that ended, by outcome: completed "
                        + "(answered 200) or failed.").labelNames("model", "outcome").register(registry);
        batchRequests.labelValues(model, "completed");
        batchRequests.labelValues(model, "failed");
        batchesEnded = Counter.builder().name("switchyard_batches_total")
                .help("Batches (the Batch API's and Message Batches') that ended, by status: completed, failed, expired "
                        + "or cancelled.")
                .labelNames("model", "status").register(registry);
        for (String status : new String[] {"completed", "failed", "expired", "cancelled"}) {
            batchesEnded.labelValues(model, status);
        }
        keyRequests = Counter.builder().name("switchyard_api_key_requests_total")
                .help("Requests by the name of the API key they presented, and how they ended: ok, client_error, "
                        + "server_error, disconnected, or refused by the key's requests_per_minute or tokens_per_minute: "
                        + "rate_limited_requests, rate_limited_tokens.")
                .labelNames("model", "api_key", "outcome").register(registry);
        keyPromptTokens = Counter.builder().name("switchyard_api_key_prompt_tokens_total")
                .help("Prompt tokens of generations, by the name of the API key their requests presented.")
                .labelNames("model", "api_key").register(registry);
        keyGenerationTokens = Counter.builder().name("switchyard_api_key_generation_tokens_total")
                .help("Tokens generated, by the name of the API key their requests presented.")
                .labelNames("model", "api_key").register(registry);
        timeToFirstToken = histogram("switchyard_time_to_first_token_seconds",
                "From submission to the first generated token.", model);
        interTokenLatency = histogram("switchyard_inter_token_latency_seconds",
                "Between successive generated tokens of one sequence.", model);
        e2eLatency = histogram("switchyard_e2e_request_latency_seconds", "From submission to the end.", model);
        queueTime = histogram("switchyard_queue_time_seconds", "From submission to the first step.", model);
    }

    private void gauge(String name, String help, String model, java.util.function.DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("model")
                .callback(cb -> cb.call(value.getAsDouble(), model)).register(registry);
    }

    private CounterDataPoint counter(String name, String help, String model) {
        return Counter.builder().name(name).help(help).labelNames("model").register(registry).labelValues(model);
    }

    private DistributionDataPoint histogram(String name, String help, String model) {
        return Histogram.builder().name(name).help(help).labelNames("model").classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS).register(registry).labelValues(model);
    }

    /**
     * Registers the per-layer MoE metrics for a model of {@code layers} layers and returns the observer
     * that feeds them (give it to {@code Transformer.setLoadObserver}).
     */
    public ExpertLoadMetrics expertLoad(int layers) {
        return new ExpertLoadMetrics(registry, model, layers);
    }

    /**
     * Registers the expert residency cache's metrics (when experts are offloaded); they read
     * {@code counters} when scraped.
     *
     * @param predicts whether a predictor prefetches: its precision and recall are exported then only
     * @param hybrid   whether misses may be computed on the host: its choices are exported then only
     */
    public void expertCache(Supplier<ResidencyCounters> counters, int slots, boolean predicts, boolean hybrid) {
        ExpertCacheMetrics.register(registry, model, counters, slots, predicts, hybrid);
    }

    /**
     * The KV cache as configured: {@code switchyard_kv_cache_info} (1, its type and block size as
     * labels, as vLLM's cache_config_info) and {@code switchyard_kv_cache_capacity_tokens}, the
     * positions its blocks hold in all; and where the windowed layers keep their blocks apart (gpt-oss),
     * {@code switchyard_kv_cache_window_capacity_tokens}, the positions those hold.
     */
    public void kvCache(String type, int blockSize, long positions, long windowPositions) {
        GaugeWithCallback.builder().name("switchyard_kv_cache_info")
                .help("The KV cache's element type and positions per block (value 1).")
                .labelNames("model", "cache_type", "block_size")
                .callback(cb -> cb.call(1, model, type, String.valueOf(blockSize))).register(registry);
        gauge("switchyard_kv_cache_capacity_tokens", "Positions the KV cache's blocks hold in all.", model,
                () -> positions);
        if (windowPositions > 0) {
            gauge("switchyard_kv_cache_window_capacity_tokens",
                    "Positions the blocks of the layers that attend through a sliding window hold in all.", model,
                    () -> windowPositions);
        }
    }

    /**
     * Registers the saved recurrent states of a model that carries them (Qwen3.5):
     * {@code switchyard_state_checkpoints_capacity}, how many it keeps, and
     * {@code switchyard_state_checkpoints_saved_total} and {@code _restored_total}, prompts' states
     * saved and taken back with a reused prefix.
     */
    public void stateCheckpoints(int capacity, java.util.function.LongSupplier saved,
                                 java.util.function.LongSupplier restored) {
        gauge("switchyard_state_checkpoints_capacity", "Recurrent states kept for prefix reuse.", model, () -> capacity);
        CounterWithCallback.builder().name("switchyard_state_checkpoints_saved_total")
                .help("Recurrent states saved for prefix reuse: where a prompt's last whole block ends, where the prefix "
                        + "it shares with an earlier prompt ends, and as a sequence generates.").labelNames("model")
                .callback(cb -> cb.call(saved.getAsLong(), model)).register(registry);
        CounterWithCallback.builder().name("switchyard_state_checkpoints_restored_total")
                .help("Saved recurrent states taken back with a reused prefix.").labelNames("model")
                .callback(cb -> cb.call(restored.getAsLong(), model)).register(registry);
    }

    /** A client left before its request finished (connection closed, stream cancelled). */
    public void clientDisconnected() {
        clientDisconnects.inc();
    }

    /** Every metric in the Prometheus text format (version 0.0.4). */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The media type of {@link #scrape()}. */
    public String contentType() {
        return writer.getContentType();
    }

    @Override
    public void admitted(long queueNanos, int prompt) {
        queueTime.observe(queueNanos / NANOS);
        promptTokens.inc(prompt);
    }

    @Override
    public void firstToken(long ttftNanos) {
        timeToFirstToken.observe(ttftNanos / NANOS);
        generationTokens.inc();
    }

    @Override
    public void nextToken(long gapNanos) {
        interTokenLatency.observe(gapNanos / NANOS);
        generationTokens.inc();
    }

    @Override
    public void preempted() {
        preemptions.inc();
    }

    @Override
    public void prefixReused(int tokens) {
        prefixTokens.inc(tokens);
    }

    @Override
    public void speculated(int drafted, int accepted) {
        draftTokens.inc(drafted);
        acceptedTokens.inc(accepted);
    }

    /** Shows LoRA adapter {@code name}'s series, at 0 until a sequence applies it. */
    public void loraAdapter(String name) {
        loraSequences.labelValues(model, name);
    }

    /** {@code sequences} more sequences apply the LoRA adapter {@code name}. */
    void adapterApplied(String name, int sequences) {
        loraSequences.labelValues(model, name).inc(sequences);
    }

    /** A batch's request ended: answered with 200, or not. */
    public void batchRequest(boolean completed) {
        batchRequests.labelValues(model, completed ? "completed" : "failed").inc();
    }

    /** A batch ended with {@code status} (completed, failed, expired or cancelled). */
    public void batchEnded(String status) {
        batchesEnded.labelValues(model, status).inc();
    }

    /** A request that presented the key named {@code apiKey} ended as {@code outcome}, with these tokens. */
    public void keyUsed(String apiKey, String outcome, int promptTokens, int generatedTokens) {
        keyRequests.labelValues(model, apiKey, outcome).inc();
        keyTokens(apiKey, promptTokens, generatedTokens);
    }

    /** The prompt and generated tokens of a generation of {@code apiKey}'s, counted when known. */
    public void keyTokens(String apiKey, int promptTokens, int generatedTokens) {
        if (promptTokens > 0 || generatedTokens > 0) {
            keyPromptTokens.labelValues(model, apiKey).inc(promptTokens);
            keyGenerationTokens.labelValues(model, apiKey).inc(generatedTokens);
        }
    }

    /** A reply's tool call was read and returned as one. */
    void toolCallMade() {
        toolCalls.inc();
    }

    @Override
    public void finished(FinishReason reason, long e2eNanos) {
        e2eLatency.observe(e2eNanos / NANOS);
        if (reason == null) {
            failed.inc();
        } else {
            finished.get(reason).inc();
        }
    }
}
