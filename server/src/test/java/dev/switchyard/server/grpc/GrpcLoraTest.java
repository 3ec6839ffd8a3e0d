package dev.switchyard.server.grpc;

import static dev.switchyard.server.grpc.GrpcApiTest.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.proto.v1.EmbedInput;
import dev.switchyard.proto.v1.EmbedRequest;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GetModelInfoRequest;
import dev.switchyard.proto.v1.LoraAdapters;
import dev.switchyard.proto.v1.LoraScale;
import dev.switchyard.proto.v1.ModelInfo;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.server.TinyAdapters;
import dev.switchyard.server.serving.AdapterSpec;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LoRA adapters over gRPC: named by {@code model} or listed in {@code lora}, as over HTTP, for Generate and Embed. */
class GrpcLoraTest {

    private static TinyAdapters adapters;
    private static GrpcFixture server;

    @BeforeAll
    static void start() throws Exception {
        adapters = TinyAdapters.write("switchyard-grpc-lora");
        server = new GrpcFixture(GrpcFixture.engine(8, 64).withAdapters(List.of(
                new AdapterSpec("style", adapters.style(), 0.5f), new AdapterSpec("terse", adapters.terse(), 0f))),
                GrpcConfig.defaults("127.0.0.1", 0, null));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        adapters.close();
    }

    private static GenerateRequest.Builder greedy(String prompt) {
        return GenerateRequest.newBuilder().setText(prompt).setUnary(true).setSampling(SamplingParams.newBuilder()
                .setTemperature(0).setMaxTokens(20).setIgnoreEos(true));
    }

    private static String text(GenerateRequest request) {
        return server.blocking().generate(request).next().getComplete().getChoices(0).getText();
    }

    private static String http(String extra) {
        return server.httpPost("/v1/completions", "{\"prompt\":\"Wagons roll\",\"max_tokens\":20,\"temperature\":0,"
                + "\"ignore_eos\":true" + extra + "}").at("/choices/0/text").asText();
    }

    private static LoraAdapters lora(int id, float scale) {
        return LoraAdapters.newBuilder().addAdapters(LoraScale.newBuilder().setId(id).setScale(scale)).build();
    }

    @Test
    void generateAppliesAdaptersAsTheHttpApiDoes() {
        assertThat(text(greedy("Wagons roll").build())).isEqualTo(http(""));
        assertThat(text(greedy("Wagons roll").setModel("terse").build())).isEqualTo(http(",\"model\":\"terse\""));
        assertThat(text(greedy("Wagons roll").setLora(lora(1, 0.25f)).build()))
                .isEqualTo(http(",\"lora\":[{\"id\":1,\"scale\":0.25}]"));
        String none = text(greedy("Wagons roll").setLora(LoraAdapters.getDefaultInstance()).build());
        assertThat(none).isEqualTo(http(",\"lora\":[]"));
        assertThat(none).isNotEqualTo(text(greedy("Wagons roll").setModel("terse").build()));
    }

    @Test
    void embedAppliesTheAdapterItsModelNames() {
        JsonNode expected = server.httpPost("/v1/embeddings", "{\"input\":\"hump yard\",\"model\":\"terse\"}")
                .at("/data/0/embedding");
        List<Float> values = server.blocking().embed(EmbedRequest.newBuilder().setModel("terse")
                .addInputs(EmbedInput.newBuilder().setText("hump yard")).build()).getEmbeddings(0).getValuesList();
        for (int d = 0; d < values.size(); d++) {
            assertThat(values.get(d)).isEqualTo(expected.get(d).floatValue());
        }
        List<Float> base = server.blocking().embed(EmbedRequest.newBuilder().setLora(LoraAdapters.getDefaultInstance())
                .addInputs(EmbedInput.newBuilder().setText("hump yard")).build()).getEmbeddings(0).getValuesList();
        assertThat(base).isNotEqualTo(values);
    }

    @Test
    void modelInfoListsTheAdapters() {
        ModelInfo info = server.blocking().getModelInfo(GetModelInfoRequest.getDefaultInstance());
        assertThat(info.getLoraAdaptersList()).hasSize(2);
        assertThat(info.getLoraAdapters(0).getName()).isEqualTo("style");
        assertThat(info.getLoraAdapters(0).getDefaultScale()).isEqualTo(0.5f);
        assertThat(info.getLoraAdapters(1).getId()).isEqualTo(1);
        assertThat(info.getLoraAdapters(1).getPath()).endsWith("terse.gguf");
    }

    @Test
    void unknownAdaptersAreRefusedWithTheReason() {
        assertStatus(() -> server.blocking().generate(greedy("x").setLora(lora(7, 1)).build()).next(),
                Status.Code.INVALID_ARGUMENT, "lora: no LoRA adapter has id 7; ids are 0, 1");
        assertStatus(() -> server.blocking().generate(greedy("x").setModel("sorted").build()).next(),
                Status.Code.NOT_FOUND, "model 'sorted' is not served here");
    }

    @Test
    void aKeyKeptToSomeModelsUsesAndListsOnlyThose(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path keys = java.nio.file.Files.writeString(dir.resolve("keys"), "alice sk-alice models=terse\n");
        io.grpc.Metadata alice = new io.grpc.Metadata();
        alice.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer sk-alice");
        try (GrpcFixture keyed = new GrpcFixture(GrpcFixture.engine(8, 64).withAdapters(List.of(
                new AdapterSpec("style", adapters.style(), 0f), new AdapterSpec("terse", adapters.terse(), 0f))),
                GrpcConfig.defaults("127.0.0.1", 0, null).withApiKeys(dev.switchyard.server.serving.ApiKeys.from(null, keys)))) {
            var stub = keyed.blocking().withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(alice));
            assertThat(stub.generate(greedy("Wagons roll").setModel("terse").build()).next().hasComplete()).isTrue();
            assertStatus(() -> stub.generate(greedy("Wagons roll").setModel("style").build()).next(), Status.Code.NOT_FOUND,
                    "'style'");
            assertStatus(() -> stub.generate(greedy("Wagons roll").build()).next(), Status.Code.NOT_FOUND, "does not exist");
            assertStatus(() -> stub.generate(greedy("Wagons roll").setModel("terse").setLora(LoraAdapters.newBuilder()
                    .addAdapters(LoraScale.newBuilder().setId(0).setScale(1)).addAdapters(LoraScale.newBuilder().setId(1)
                            .setScale(1))).build()).next(), Status.Code.NOT_FOUND, "'style'");
            ModelInfo info = stub.getModelInfo(GetModelInfoRequest.getDefaultInstance());
            assertThat(info.getLoraAdaptersList()).extracting(a -> a.getName()).containsExactly("terse");
        }
    }
}
