package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.GenerationSpec;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --prefix-cache-scope key}: a client's cached prompt blocks serve only requests of its own
 * key, so no client can time another's prompts by what it finds cached; each key still reuses its
 * own, and a shared scope lets every key reuse anyone's.
 */
class PrefixCacheScopeTest {

    @TempDir
    Path dir;

    private static final String PROMPT = "The yard keeps every tenant's trains on tracks of their own. ".repeat(5);

    private static int cached(ServerFixture server, String key, String salt) {
        String body = "{\"prompt\":\"" + PROMPT + "\",\"max_tokens\":2,\"temperature\":0"
                + (salt == null ? "" : ",\"cache_salt\":\"" + salt + "\"") + "}";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode usage = ServerFixture.parse(r.body()).get("usage");
        return usage.at("/prompt_tokens_details/cached_tokens").asInt();
    }

    private ServerFixture serve(boolean byKey) throws Exception {
        Path file = Files.writeString(dir.resolve("keys-" + byKey), "alice sk-alice\nbob sk-bob\n");
        return ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file).isolatingPrefixCache(byKey))
                .withBatches(new HttpServerConfig.BatchConfig(null, 1 << 20, 2)));
    }

    @Test
    void scopedByKeyAClientReusesOnlyItsOwnBlocks() throws Exception {
        try (ServerFixture server = serve(true)) {
            assertThat(cached(server, "sk-alice", null)).isZero();
            assertThat(cached(server, "sk-alice", null)).as("alice's own blocks").isPositive();
            assertThat(cached(server, "sk-bob", null)).as("bob cannot reach alice's blocks").isZero();
            assertThat(cached(server, "sk-bob", null)).as("bob's own").isPositive();
            assertThat(cached(server, "sk-bob", "s1")).as("a salt narrows a key's scope further").isZero();
            assertThat(cached(server, "sk-alice", "s1")).as("the same salt under another key").isZero();
        }
    }

    /** The cached prompt tokens of a one-request batch of {@link #PROMPT} made with {@code key}. */
    private static int cachedInABatch(ServerFixture server, String key) throws Exception {
        String line = "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":\""
                + PROMPT + "\",\"max_tokens\":2,\"temperature\":0}}\n";
        JsonNode batch = BatchesApiTest.batchAs(server, key, line, "/v1/completions");
        assertThat(batch.get("status").asText()).isEqualTo("completed");
        return ServerFixture.parse(BatchesApiTest.contentAs(server, key, batch.get("output_file_id").asText()))
                .at("/response/body/usage/prompt_tokens_details/cached_tokens").asInt();
    }

    @Test
    void aBatchSharesTheBlocksOfTheKeyThatMadeIt() throws Exception {
        try (ServerFixture server = serve(true)) {
            assertThat(cached(server, "sk-alice", null)).isZero();
            assertThat(cachedInABatch(server, "sk-alice")).as("alice's batch reuses her blocks").isPositive();
            assertThat(cachedInABatch(server, "sk-bob")).as("bob's batch finds none of alice's, nor of her batch's")
                    .isZero();
        }
    }

    @Test
    void sharedEveryKeyReusesAnyonesBlocks() throws Exception {
        try (ServerFixture server = serve(false)) {
            assertThat(cached(server, "sk-alice", null)).isZero();
            assertThat(cached(server, "sk-bob", null)).as("bob finds alice's blocks").isPositive();
        }
    }

    @Test
    void noTenantsSaltCanEqualAnothersAndScopingNeedsKeys() {
        var sampling = dev.switchyard.engine.sampling.SamplingParams.builder().build();
        GenerationSpec spec = new GenerationSpec(List.of(new int[] {1, 2}), null, 1, sampling, 4, List.of(), "prompt",
                "max_tokens", false, "x", null, null);
        GenerationSpec worded = new GenerationSpec(List.of(new int[] {1, 2}), null, 1, sampling, 4, List.of(), "prompt",
                "max_tokens", false, "ice\u0000x", null, null);
        // key "al" with a salt worded to finish alice's name cannot meet key "alice" with salt "x"
        assertThat(worded.forTenant("al").cacheSalt()).isNotEqualTo(spec.forTenant("alice").cacheSalt());
        assertThat(spec.forTenant("alice").cacheSalt()).isNotEqualTo(spec.cacheSalt());
        assertThat(spec.forTenant(null)).isSameAs(spec);
        assertThatThrownBy(() -> ApiKeys.none().isolatingPrefixCache(true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--api-key-file");
    }
}
