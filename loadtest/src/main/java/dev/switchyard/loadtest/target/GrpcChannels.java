package dev.switchyard.loadtest.target;

import dev.switchyard.proto.v1.GenerationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A few channels (one HTTP/2 connection each) to one server, and which of them a new call goes on.
 *
 * <p>A server caps the calls open at once on one connection (HTTP/2's MAX_CONCURRENT_STREAMS; 100 on
 * Switchyard), and a call over the cap waits inside the client for a free stream: queueing the server
 * never saw would be counted in its TTFT. So a run that may hold {@code maxCalls} open gets
 * ceil(maxCalls / 100) channels, and each call goes on the channel with the fewest open. That is the
 * round-robin order while calls end in the order they started, and, unlike a fixed rotation, never puts
 * a 101st call on one channel when they end out of order: with fewer than channels x 100 open in all,
 * the least loaded channel has a free stream.
 */
final class GrpcChannels implements AutoCloseable {

    /** Calls one connection may carry at once (the server's default, {@code GrpcConfig.defaults}). */
    static final int CALLS_PER_CONNECTION = 100;

    private final ManagedChannel[] channels;
    private final GenerationGrpc.GenerationStub[] stubs;
    private final AtomicIntegerArray open;

    /**
     * @param maxCalls the most calls the run will hold open at once
     * @param callbacks where every call's responses are delivered (the stub's callbacks run there)
     * @param apiKey sent as {@code authorization: Bearer KEY} on every call; null for none
     */
    GrpcChannels(String host, int port, int maxCalls, Executor callbacks, String apiKey) {
        int count = Math.max(1, (maxCalls + CALLS_PER_CONNECTION - 1) / CALLS_PER_CONNECTION);
        channels = new ManagedChannel[count];
        stubs = new GenerationGrpc.GenerationStub[count];
        open = new AtomicIntegerArray(count);
        for (int i = 0; i < count; i++) {
            NettyChannelBuilder channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().executor(callbacks);
            if (apiKey != null) {
                io.grpc.Metadata key = new io.grpc.Metadata();
                key.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                        "Bearer " + apiKey);
                channel.intercept(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(key));
            }
            channels[i] = channel.build();
            stubs[i] = GenerationGrpc.newStub(channels[i]);
        }
    }

    int size() {
        return channels.length;
    }

    /** The channel the control calls (model info, tokenize) use. */
    ManagedChannel first() {
        return channels[0];
    }

    /**
     * Picks the channel with the fewest calls open and counts one more on it; {@link #release} undoes that.
     * Synchronized so that two senders cannot both take the last free stream of one channel.
     */
    synchronized int acquire() {
        int best = 0;
        for (int i = 1; i < channels.length; i++) {
            if (open.get(i) < open.get(best)) {
                best = i;
            }
        }
        open.incrementAndGet(best);
        return best;
    }

    GenerationGrpc.GenerationStub stub(int channel) {
        return stubs[channel];
    }

    void release(int channel) {
        open.decrementAndGet(channel);
    }

    /** Calls open on {@code channel} now. */
    int open(int channel) {
        return open.get(channel);
    }

    /** Cuts every call still open; after a run none should be. */
    @Override
    public void close() {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        try {
            for (ManagedChannel c : channels) {
                c.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
