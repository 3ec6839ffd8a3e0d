package dev.switchyard.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ServedModel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A streamed background response's events are rendered where the finisher runs them, not on the
 * scheduler's thread (which every sequence's step waits on), and in the order they happened: its
 * log stays empty until the finisher's tasks run, and then holds the whole stream.
 */
class BackgroundEventsOffTheSchedulerTest {

    @Test
    void eventsWaitForTheFinisherToRenderThem() throws Exception {
        List<Runnable> held = new CopyOnWriteArrayList<>();
        BackgroundResponses background = new BackgroundResponses(held::add, 1 << 20);
        ObjectMapper mapper = new ObjectMapper();
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig engine = new EngineConfig(1, 2, EngineConfig.defaultBatchTokens(2, dispatch), 0, 8, Duration.ZERO,
                dispatch);
        try (ServedModel model = ServedModel.open(TinyModelFile.path(), "tiny", engine, new CpuBackend(1))) {
            ResponseRenderer renderer = ResponsesApi.renderer(mapper.readTree("{\"input\":\"Hello\",\"max_output_tokens\":6,"
                    + "\"temperature\":0,\"ignore_eos\":true,\"background\":true,\"stream\":true}"), model,
                    ApiLimits.defaults(), mapper, new ResponseStore(1 << 20),
                    new ConversationsApi(new ConversationStore(1 << 20), mapper));
            EventLog log = background.startStreamed(model, renderer, mapper.getFactory());
            int opened = log.size(); // the opening events, written as the request is taken
            // nothing is rendered until the finisher runs what it was handed, in order
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int ran = 0;
            boolean seenHeld = false;
            while (!log.ended() && System.nanoTime() < deadline) {
                if (ran < held.size()) {
                    if (!seenHeld) {
                        seenHeld = true;
                        assertThat(log.size()).as("the scheduler's thread rendered nothing").isEqualTo(opened);
                    }
                    held.get(ran++).run();
                } else {
                    Thread.sleep(5);
                }
            }
            assertThat(log.ended()).isTrue();
            assertThat(log.size()).as("every event, rendered by the finisher's tasks").isGreaterThan(opened + 6);
        }
    }
}
