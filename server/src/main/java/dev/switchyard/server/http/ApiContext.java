package dev.switchyard.server.http;

import dev.switchyard.server.batch.BatchesApi;
import dev.switchyard.server.batch.FileStore;
import dev.switchyard.server.batch.FilesApi;
import dev.switchyard.server.batch.MessageBatchesApi;
import dev.switchyard.server.openai.BackgroundResponses;
import dev.switchyard.server.openai.ConversationStore;
import dev.switchyard.server.openai.ConversationsApi;
import dev.switchyard.server.openai.OpenAiJson;
import dev.switchyard.server.openai.ResponseStore;
import dev.switchyard.server.serving.ServerHealth;
import dev.switchyard.server.serving.Version;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection's handler shares: configuration, health, JSON limits, the key check, open
 * responses, kept files and batches.
 */
final class ApiContext implements AutoCloseable {

    final HttpServerConfig config;
    final ServerHealth health;
    final OpenAiJson json;
    final ApiKeyCheck apiKey;
    /** Generation responses not yet fully written: shutdown waits for them after the drain. */
    final AtomicInteger openExchanges = new AtomicInteger();
    final String version;
    /** Responses kept for retrieval and continuation (the Responses API's store). */
    final ResponseStore responses;
    /** Responses made apart from their requests, while they run (and streamed ones' events after). */
    final BackgroundResponses background;
    /** Conversations kept for the Responses API ({@code conversation}), within a budget as large as the store's. */
    final ConversationsApi conversations;

    /** The Files API's files (batch inputs and results). */
    final FilesApi files;
    /** The Batch API's batches, run through this server's own endpoints. */
    final BatchesApi batches;
    /** Anthropic's Message Batches, run as batches of the Messages API. */
    final MessageBatchesApi messageBatches;

    ApiContext(HttpServerConfig config, ServerHealth health) {
        this.config = config;
        this.health = health;
        this.json = new OpenAiJson(config.maxBodyBytes());
        this.apiKey = new ApiKeyCheck(config.apiKeys());
        this.version = Version.current();
        java.nio.file.Path kept = config.responsesDir();
        try {
            this.responses = new ResponseStore(config.responseStoreBytes(), kept == null ? null : kept.resolve("responses"));
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("--responses-dir " + kept + ": " + e.getMessage(), e);
        }
        // ended background streams' events are kept within a budget as large as the store's
        this.background = new BackgroundResponses(config.responseStoreBytes());
        this.conversations = new ConversationsApi(new ConversationStore(config.responseStoreBytes(),
                kept == null ? null : kept.resolve("conversations")), json.mapper());
        this.files = new FilesApi(store(config.batches()));
        this.batches = new BatchesApi(files, config.batches().concurrency(), () -> {
            var model = health.model();
            return model != null && model.schedulesByPriority();
        }, config.apiKeys().loopbackKey(), () -> health.model() == null ? null : health.model().metrics());
        this.messageBatches = new MessageBatchesApi(batches);
    }

    private static FileStore store(HttpServerConfig.BatchConfig config) {
        if (config.filesDir() == null) {
            return FileStore.temporary(config.filesSpace());
        }
        try {
            return FileStore.in(config.filesDir(), config.filesSpace());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--files-dir " + config.filesDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops the batches (left for the next server where the files are kept, else cancelled) and lets go
     * of the files (a temporary directory is removed).
     */
    @Override
    public void close() {
        batches.close();
        files.store().close();
    }
}
