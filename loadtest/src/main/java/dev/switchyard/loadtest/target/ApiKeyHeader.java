package dev.switchyard.loadtest.target;

import java.net.http.HttpRequest;

/** The key a run presents to a server that requires one ({@code --api-key}), as OpenAI's clients send it. */
public final class ApiKeyHeader {

    private ApiKeyHeader() {
    }

    /** {@code request} with {@code Authorization: Bearer KEY}; as it is for a null key. */
    static HttpRequest.Builder apply(HttpRequest.Builder request, String key) {
        return key == null ? request : request.header("Authorization", "Bearer " + key);
    }
}
