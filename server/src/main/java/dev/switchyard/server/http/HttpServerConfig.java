package dev.switchyard.server.http;

import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.openai.ResponseStore;
import dev.switchyard.server.serving.ApiKeys;
import java.time.Duration;
import java.util.List;

/**
 * How the HTTP front end listens and what it accepts.
 *
 * @param host           address to bind
 * @param port           port to bind; 0 picks a free one (tests)
 * @param apiKeys        when any are set, every /v1 and tokenizer request must carry one, {@code Authorization: Bearer KEY};
 *                       null or empty: no key
 * @param maxBodyBytes   larger request bodies get 413
 * @param maxHeaderBytes larger header blocks (and request lines) get 431 (414)
 * @param idleTimeout    a connection with no request in progress and no traffic for this long is closed
 * @param ioThreads      Netty event-loop threads (socket I/O only)
 * @param apiThreads     threads that parse requests, tokenize prompts and write responses, off the event loop
 * @param limits         caps on what one request may ask for
 * @param allowedOrigins the origins whose browser pages may call the API (CORS): {@code *} for any;
 *                       empty for none (no CORS headers, and preflight requests are refused)
 * @param runtimeLora    whether {@code /v1/load_lora_adapter} and {@code /v1/unload_lora_adapter} may
 *                       load and unload LoRA adapters while serving (vLLM's opt-in); off, they refuse
 * @param batches        where the Files and Batch APIs keep files, and how a batch runs
 * @param recorder       what is told of each request once it has ended: the access log, traces ({@link RequestRecorder#OFF}: nothing)
 * @param responsesDir   where kept responses and conversations are also written, to outlive a restart; null: memory only
 */
public record HttpServerConfig(String host, int port, ApiKeys apiKeys, int maxBodyBytes, int maxHeaderBytes,
                               Duration idleTimeout, int ioThreads, int apiThreads, ApiLimits limits,
                               long responseStoreBytes, List<String> allowedOrigins, boolean runtimeLora,
                               BatchConfig batches, RequestRecorder recorder,
                               java.nio.file.Path responsesDir) {

    /**
     * The Files and Batch APIs' settings.
     *
     * @param filesDir    where files are kept (across restarts); null for a temporary directory removed at shutdown
     * @param filesSpace  bytes all kept files may take; an upload past it gets 413
     * @param concurrency a batch's requests in flight at once
     */
    public record BatchConfig(java.nio.file.Path filesDir, long filesSpace, int concurrency) {

        public static final long DEFAULT_FILES_SPACE = 2L << 30;

        public BatchConfig {
            if (filesSpace < 1) {
                throw new IllegalArgumentException("--files-space must be positive, got " + filesSpace);
            }
            if (concurrency < 1) {
                throw new IllegalArgumentException("--batch-concurrency must be at least 1, got " + concurrency);
            }
        }

        /** A temporary directory of {@link #DEFAULT_FILES_SPACE}, {@code concurrency} requests at once. */
        public static BatchConfig temporary(int concurrency) {
            return new BatchConfig(null, DEFAULT_FILES_SPACE, concurrency);
        }
    }

    /** Batches in a temporary directory, 8 requests at once. */
    public HttpServerConfig(String host, int port, String apiKey, int maxBodyBytes, int maxHeaderBytes,
                            Duration idleTimeout, int ioThreads, int apiThreads, ApiLimits limits,
                            long responseStoreBytes, List<String> allowedOrigins, boolean runtimeLora) {
        this(host, port, ApiKeys.single(apiKey), maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads, limits,
                responseStoreBytes, allowedOrigins, runtimeLora, BatchConfig.temporary(8), RequestRecorder.OFF, null);
    }

    /** Adapters only as the server was started with. */
    public HttpServerConfig(String host, int port, String apiKey, int maxBodyBytes, int maxHeaderBytes,
                            Duration idleTimeout, int ioThreads, int apiThreads, ApiLimits limits,
                            long responseStoreBytes, List<String> allowedOrigins) {
        this(host, port, apiKey, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads, limits,
                responseStoreBytes, allowedOrigins, false);
    }

    /** No cross-origin calls from browsers. */
    public HttpServerConfig(String host, int port, String apiKey, int maxBodyBytes, int maxHeaderBytes,
                            Duration idleTimeout, int ioThreads, int apiThreads, ApiLimits limits,
                            long responseStoreBytes) {
        this(host, port, apiKey, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads, limits,
                responseStoreBytes, List.of());
    }

    public static final int DEFAULT_MAX_BODY = 4 << 20;
    public static final int DEFAULT_MAX_HEADER = 16 << 10;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    public HttpServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (maxBodyBytes < 1024 || maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("body and header limits must be at least 1 KiB");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("--idle-timeout must be positive");
        }
        if (ioThreads < 1 || apiThreads < 1) {
            throw new IllegalArgumentException("thread counts must be at least 1");
        }
        if (batches == null) {
            throw new IllegalArgumentException("batches is required");
        }
        if (responseStoreBytes < 0) {
            throw new IllegalArgumentException("--responses-memory must be 0 or more");
        }
        recorder = recorder == null ? RequestRecorder.OFF : recorder;
        apiKeys = apiKeys == null ? ApiKeys.none() : apiKeys;
        allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
        for (String origin : allowedOrigins) {
            if (!origin.equals("*") && !origin.matches("[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s]+")) {
                throw new IllegalArgumentException("--allowed-origins takes * or origins such as https://app.example "
                        + "(scheme and host, no path), got '" + origin + "'");
            }
        }
    }

    /** Whether browser pages of other origins may call the API. */
    public boolean corsOn() {
        return !allowedOrigins.isEmpty();
    }

    public HttpServerConfig withAllowedOrigins(List<String> origins) {
        return new HttpServerConfig(host, port, apiKeys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads,
                limits, responseStoreBytes, origins, runtimeLora, batches, recorder, responsesDir);
    }

    /** This configuration letting requests load and unload LoRA adapters while serving, or not. */
    public HttpServerConfig withRuntimeLora(boolean on) {
        return new HttpServerConfig(host, port, apiKeys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads,
                limits, responseStoreBytes, allowedOrigins, on, batches, recorder, responsesDir);
    }

    /** Loopback, the given port, no key, default limits: what tests start. */
    public static HttpServerConfig loopback(int port) {
        return new HttpServerConfig("127.0.0.1", port, null, DEFAULT_MAX_BODY, DEFAULT_MAX_HEADER, DEFAULT_IDLE_TIMEOUT,
                1, 2, ApiLimits.defaults(), ResponseStore.DEFAULT_BYTES);
    }

    public HttpServerConfig withApiKey(String key) {
        return withApiKeys(ApiKeys.single(key));
    }

    /** This configuration accepting {@code keys}. */
    public HttpServerConfig withApiKeys(ApiKeys keys) {
        return new HttpServerConfig(host, port, keys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads, limits,
                responseStoreBytes, allowedOrigins, runtimeLora, batches, recorder, responsesDir);
    }

    public HttpServerConfig withLimits(int body, int header, Duration idle) {
        return new HttpServerConfig(host, port, apiKeys, body, header, idle, ioThreads, apiThreads, limits,
                responseStoreBytes, allowedOrigins, runtimeLora, batches, recorder, responsesDir);
    }

    /** This configuration keeping files and running batches as {@code config} says. */
    public HttpServerConfig withBatches(BatchConfig config) {
        return new HttpServerConfig(host, port, apiKeys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads,
                limits, responseStoreBytes, allowedOrigins, runtimeLora, config, recorder, responsesDir);
    }

    /** This configuration keeping responses and conversations in {@code dir} too (null: memory only). */
    public HttpServerConfig withResponsesDir(java.nio.file.Path dir) {
        return new HttpServerConfig(host, port, apiKeys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads,
                limits, responseStoreBytes, allowedOrigins, runtimeLora, batches, recorder, dir);
    }

    /** This configuration telling {@code recorder} of each request once it has ended. */
    public HttpServerConfig withRecorder(RequestRecorder log) {
        return new HttpServerConfig(host, port, apiKeys, maxBodyBytes, maxHeaderBytes, idleTimeout, ioThreads, apiThreads,
                limits, responseStoreBytes, allowedOrigins, runtimeLora, batches, log, responsesDir);
    }
}
