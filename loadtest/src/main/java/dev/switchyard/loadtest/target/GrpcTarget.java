package dev.switchyard.loadtest.target;

import dev.switchyard.loadtest.workload.TokenCounter;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.GetModelInfoRequest;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.proto.v1.TokenizeRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Switchyard's gRPC API ({@code switchyard.v1.Generation}): server-streaming {@code Generate} calls on the
 * asynchronous stub, the model from {@code GetModelInfo}, token counts from {@code Tokenize}.
 *
 * <p>Requests are made to be measured as the HTTP target's are (RESULTS.md): text input, greedy
 * ({@code temperature 0}) unless the run asks for sampling, exactly {@code max_tokens} tokens
 * ({@code ignore_eos}); the final
 * {@code complete} message carries the server's usage. Streams are asynchronous and multiplexed: a
 * thousand calls share a few HTTP/2 connections ({@link GrpcChannels}), Netty's event loop reads them
 * all, and their callbacks run on a small fixed pool, so no stream holds a thread.
 */
public final class GrpcTarget implements Target {

    /** For the few calls outside the measured streams (model info, tokenize); the streams' own limit is the runner's. */
    private static final long CONTROL_TIMEOUT_SECONDS = 30;

    private final String address;
    private final ExecutorService callbacks;
    private final GrpcChannels channels;

    /**
     * @param maxConcurrentCalls the most streams the run will hold open at once; sets how many connections are opened
     * @param callbackThreads threads that run the stream callbacks, shared by all streams
     */
    public GrpcTarget(String host, int port, int maxConcurrentCalls, int callbackThreads) {
        this(host, port, maxConcurrentCalls, callbackThreads, null);
    }

    /** The same, presenting {@code apiKey} (null for none) on every call. */
    public GrpcTarget(String host, int port, int maxConcurrentCalls, int callbackThreads, String apiKey) {
        if (callbackThreads < 1) {
            throw new IllegalArgumentException("callbackThreads must be at least 1, got " + callbackThreads);
        }
        this.address = host + ":" + port;
        AtomicInteger n = new AtomicInteger();
        this.callbacks = Executors.newFixedThreadPool(callbackThreads, r -> {
            Thread t = new Thread(r, "loadtest-grpc-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.channels = new GrpcChannels(host, port, maxConcurrentCalls, callbacks, apiKey);
    }

    @Override
    public String describe() {
        return address + " (grpc)";
    }

    @Override
    public String modelsEndpoint() {
        return "GetModelInfo";
    }

    @Override
    public String tokenizeEndpoint() {
        return "Tokenize";
    }

    /** The one model the server serves, as {@code GetModelInfo} names it. */
    @Override
    public List<String> models() throws IOException {
        try {
            return List.of(control().getModelInfo(GetModelInfoRequest.getDefaultInstance()).getId());
        } catch (StatusRuntimeException e) {
            throw failed("GetModelInfo", e);
        }
    }

    /** Probes {@code Tokenize} once, so that a server without it is found before calibration starts. */
    @Override
    public Optional<TokenCounter> tokenCounter(String model) throws IOException {
        try {
            tokenize(model, "hello world");
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
                return Optional.empty();
            }
            throw new IOException(failed("Tokenize", e).getMessage() + " (--no-tokenize skips it)", e);
        }
        return Optional.of(text -> {
            try {
                return tokenize(model, text);
            } catch (StatusRuntimeException e) {
                throw failed("Tokenize", e);
            }
        });
    }

    @Override
    public InFlight send(StreamRequest request, StreamListener listener) {
        RequestSampling sampling = request.sampling();
        SamplingParams.Builder params = SamplingParams.newBuilder()
                .setTemperature(sampling.temperature())
                .setMaxTokens(request.maxTokens())
                .setIgnoreEos(true);
        if (sampling.topP() != null) {
            params.setTopP(sampling.topP());
        }
        if (sampling.topK() != null) {
            params.setTopK(sampling.topK());
        }
        if (sampling.minP() != null) {
            params.setMinP(sampling.minP());
        }
        GenerateRequest generate = GenerateRequest.newBuilder()
                .setModel(request.model())
                .setText(request.prompt())
                .setSampling(params)
                // The load test reads text only; token ids would be bytes on the wire for nothing.
                .setIncludeTokenIds(false)
                .build();
        int channel = channels.acquire();
        Context.CancellableContext context = Context.ROOT.withCancellation();
        GrpcStream stream = new GrpcStream(listener, context, () -> channels.release(channel));
        // The call binds to the context current when it starts, so cancelling the context cancels it.
        context.run(() -> channels.stub(channel).generate(generate, stream));
        return stream;
    }

    /** Connections in use: ceil(max concurrent calls / 100). */
    int connections() {
        return channels.size();
    }

    /** Abandons whatever is still open; after a run nothing should be. */
    @Override
    public void close() {
        try {
            channels.close();
        } finally {
            callbacks.shutdownNow();
        }
    }

    private int tokenize(String model, String text) {
        return control().tokenize(TokenizeRequest.newBuilder().setModel(model).setText(text).build()).getCount();
    }

    private GenerationGrpc.GenerationBlockingStub control() {
        return GenerationGrpc.newBlockingStub(channels.first()).withDeadlineAfter(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** A control call's failure as the command reports it: the call, the status and what the server said. */
    private static IOException failed(String call, StatusRuntimeException e) {
        Status s = e.getStatus();
        // A transport failure's description is only "io exception"; its cause says what happened.
        String detail = s.getDescription() != null ? s.getDescription() : "no detail";
        if (s.getCause() != null) {
            detail += " (" + Failures.detail(s.getCause()) + ")";
        }
        return new IOException(call + " answered " + s.getCode() + ": " + Failures.excerpt(detail), e);
    }
}
