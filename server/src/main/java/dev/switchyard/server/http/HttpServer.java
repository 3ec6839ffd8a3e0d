package dev.switchyard.server.http;

import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServerHealth;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The OpenAI-compatible HTTP server: binds, serves through {@link HttpInitializer}, and shuts down
 * gracefully. It serves whatever model {@link ServerHealth} holds, so it can listen (and answer
 * {@code /health} with 503) while the model loads.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HttpServer.class.getName());
    /** After the drain, how long the last responses may take to be written out. */
    private static final Duration FLUSH_WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET_PERIOD = Duration.ofMillis(100);

    private final ApiContext api;
    private final HttpTransport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final EventExecutorGroup apiExecutors;
    private final ChannelGroup channels = new DefaultChannelGroup("switchyard-http", GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;

    public HttpServer(HttpServerConfig config, ServerHealth health, HttpTransport transport) {
        this.api = new ApiContext(config, health);
        this.transport = transport;
        this.acceptors = new MultiThreadIoEventLoopGroup(1, transport.ioHandlers());
        this.workers = new MultiThreadIoEventLoopGroup(config.ioThreads(), transport.ioHandlers());
        this.apiExecutors = new DefaultEventExecutorGroup(config.apiThreads());
    }

    /** Binds and starts accepting; returns the bound address (the real port when the config says 0). */
    public SocketAddress start() throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(transport.channelType())
                .childHandler(new HttpInitializer(api, apiExecutors, channels));
        // Streams send one small chunk per token: never let Nagle hold one back.
        bootstrap.childOption(ChannelOption.TCP_NODELAY, true);
        serverChannel = bootstrap.bind(new InetSocketAddress(api.config.host(), api.config.port())).sync().channel();
        channels.add(serverChannel);
        api.batches.listeningAt(reachable((InetSocketAddress) serverChannel.localAddress()));
        return serverChannel.localAddress();
    }

    /** The base URL this process reaches the server at: loopback where it listens on every address. */
    static String reachable(InetSocketAddress bound) {
        java.net.InetAddress at = bound.getAddress();
        String host = !at.isAnyLocalAddress() ? at.getHostAddress()
                : at instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
        if (host.contains(":")) {
            host = "[" + host.replaceFirst("%.*$", "") + "]";
        }
        return "http://" + host + ":" + bound.getPort();
    }

    /** The bound TCP port (NIO transport). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Graceful shutdown: new requests get 503 from now on; those in flight finish for up to
     * {@code drainTimeout}, the rest end with finish reason abort; then the responses are flushed
     * and every connection closes.
     *
     * @return whether every request finished before the timeout
     */
    public boolean shutdown(Duration drainTimeout) throws InterruptedException {
        api.batches.close(); // before the drain: a batch's requests would otherwise fail one by one
        api.health.draining();
        ServedModel model = api.health.model();
        boolean finished = model == null || model.drain(drainTimeout);
        long deadline = System.nanoTime() + FLUSH_WAIT.toNanos();
        while (api.openExchanges.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (!finished) {
            LOG.warning("drain timeout passed; the requests still running were aborted");
        }
        close();
        return finished;
    }

    /** Closes every connection and stops the threads at once (no drain). */
    @Override
    public void close() {
        api.close();
        channels.close().awaitUninterruptibly(FLUSH_WAIT.toMillis());
        // All at once with a quiet period: tearing down a closed channel's pipeline hops between its event
        // loop and its handler's executor, and each must still take the other's tasks meanwhile.
        var groups = java.util.List.of(workers, apiExecutors, acceptors);
        for (EventExecutorGroup g : groups) {
            g.shutdownGracefully(QUIET_PERIOD.toMillis(), FLUSH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        for (EventExecutorGroup g : groups) {
            g.terminationFuture().awaitUninterruptibly(FLUSH_WAIT.toMillis());
        }
    }
}
