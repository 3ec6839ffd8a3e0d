package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Browser pages of another origin may call the API only where {@code --allowed-origins} lets them:
 * a preflight is answered without the API key, allowed origins' responses (streamed ones too) say
 * so, and other origins' do not. By default no origin is allowed.
 */
class CrossOriginTest {

    private static final String APP = "https://app.example";

    private static HttpResponse<String> preflight(ServerFixture server, String origin) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type,x-stainless-os").build());
    }

    private static HttpResponse<String> completion(ServerFixture server, String origin, String key, boolean stream) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":2,\"stream\":" + stream + "}"))
                .header("Content-Type", "application/json").header("Origin", origin);
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return server.send(b.build());
    }

    @Test
    void allowedOriginsGetPreflightsAnsweredAndTheirResponsesMarked() throws Exception {
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(2, 0, 8),
                HttpServerConfig.loopback(0).withApiKey("s3cret").withAllowedOrigins(List.of(APP)))) {
            HttpResponse<String> pre = preflight(server, APP);
            assertThat(pre.statusCode()).isEqualTo(200);
            assertThat(pre.headers().firstValue("access-control-allow-origin")).hasValue(APP);
            assertThat(pre.headers().firstValue("access-control-allow-methods").orElse("")).contains("POST");
            assertThat(pre.headers().firstValue("access-control-allow-headers").orElse("")).contains("Authorization")
                    .contains("*");
            for (boolean stream : new boolean[] {false, true}) {
                HttpResponse<String> r = completion(server, APP, "s3cret", stream);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("access-control-allow-origin")).as("stream %s", stream).hasValue(APP);
                assertThat(String.join(",", r.headers().allValues("access-control-expose-headers")))
                        .as("a page reads the id and the rate limits").contains("x-request-id", "retry-after",
                                "x-ratelimit-remaining-tokens");
            }
            HttpResponse<String> refused = completion(server, APP, null, false);
            assertThat(refused.statusCode()).as("the key is still needed").isEqualTo(401);
            assertThat(refused.headers().firstValue("access-control-allow-origin")).as("so the page can read why")
                    .hasValue(APP);
            HttpResponse<String> other = completion(server, "https://evil.example", "s3cret", false);
            assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
            assertThat(preflight(server, "https://evil.example").headers().firstValue("access-control-allow-origin"))
                    .isEmpty();
        }
    }

    @Test
    void anyOriginWithAStarAndNoneByDefault() throws Exception {
        try (ServerFixture any = ServerFixture.start(ServerFixture.engine(1, 0, 4),
                HttpServerConfig.loopback(0).withAllowedOrigins(List.of("*")));
             ServerFixture closed = ServerFixture.start(ServerFixture.engine(1, 0, 4), HttpServerConfig.loopback(0))) {
            assertThat(completion(any, "https://anywhere.example", null, false).headers()
                    .firstValue("access-control-allow-origin")).hasValue("*");
            assertThat(completion(closed, APP, null, false).headers().firstValue("access-control-allow-origin")).isEmpty();
            assertThat(preflight(closed, APP).headers().firstValue("access-control-allow-origin")).isEmpty();
        }
        assertThatThrownBy(() -> HttpServerConfig.loopback(0).withAllowedOrigins(List.of("app.example/path")))
                .hasMessageContaining("--allowed-origins");
    }
}
