package dev.switchyard.server.http;

import dev.switchyard.server.openai.BackgroundResponses;
import dev.switchyard.server.openai.ConversationStore;
import dev.switchyard.server.openai.ConversationsApi;
import dev.switchyard.server.openai.OpenAiJson;
import dev.switchyard.server.openai.ResponseStore;
import dev.switchyard.server.serving.ServerHealth;
import dev.switchyard.server.serving.Version;
import java.util.concurrent.atomic.AtomicInteger;

/** What every connection's handler shares: configuration, health, JSON limits, the key check, open responses. */
final class ApiContext {

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

    ApiContext(HttpServerConfig config, ServerHealth health) {
        this.config = config;
        this.health = health;
        this.json = new OpenAiJson(config.maxBodyBytes());
        this.apiKey = new ApiKeyCheck(config.apiKey());
        this.version = Version.current();
        this.responses = new ResponseStore(config.responseStoreBytes());
        // ended background streams' events are kept within a budget as large as the store's
        this.background = new BackgroundResponses(config.responseStoreBytes());
        this.conversations = new ConversationsApi(new ConversationStore(config.responseStoreBytes()), json.mapper());
    }
}
