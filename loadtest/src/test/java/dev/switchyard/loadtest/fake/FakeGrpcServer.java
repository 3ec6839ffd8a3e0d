package dev.switchyard.loadtest.fake;

import dev.switchyard.proto.v1.Chunk;
import dev.switchyard.proto.v1.Complete;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.Usage;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted {@code switchyard.v1.Generation} server with Switchyard's limit of 100 calls per connection.
 * Every Generate call is held open until {@code holdUntil} calls are open at once; then each gets one
 * chunk per piece of text and a {@code complete} with the usage. A client that cannot hold that many
 * calls at once never releases the gate, and its calls end only when it gives up on them.
 */
public final class FakeGrpcServer implements AutoCloseable {

    private final int holdUntil;
    private final List<String> pieces;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final ConcurrentLinkedQueue<StreamObserver<GenerateResponse>> held = new ConcurrentLinkedQueue<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile GenerateRequest last;
    private final Server server;

    public FakeGrpcServer(int holdUntil, List<String> pieces) throws IOException {
        this.holdUntil = holdUntil;
        this.pieces = pieces;
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxConcurrentCallsPerConnection(100)
                .executor(executor)
                .addService(new Service())
                .build().start();
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return server.getPort();
    }

    /** The last Generate request that reached the server, or null. */
    public GenerateRequest lastRequest() {
        return last;
    }

    /** Generate calls that reached the server. */
    public int calls() {
        return open.get();
    }

    private final class Service extends GenerationGrpc.GenerationImplBase {
        @Override
        public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
            last = request;
            held.add(observer);
            if (open.incrementAndGet() == holdUntil) {
                // The last call to arrive releases them all, on this thread, each observer used by it alone.
                StreamObserver<GenerateResponse> o;
                while ((o = held.poll()) != null) {
                    answer(o, request.getSampling().getMaxTokens());
                }
            }
        }

        private void answer(StreamObserver<GenerateResponse> o, int tokens) {
            for (String piece : pieces) {
                o.onNext(GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().setText(piece)).build());
            }
            o.onNext(GenerateResponse.newBuilder().setComplete(Complete.newBuilder().setUsage(
                    Usage.newBuilder().setPromptTokens(4).setCompletionTokens(tokens))).build());
            o.onCompleted();
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        executor.shutdownNow();
    }
}
