package dev.switchyard.server.http;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The transport the HTTP server runs on, passed in rather than chosen inside (as grpc-java's servers
 * take a ServerBuilder): NIO sockets in production, Netty's in-process local channels where a test
 * wants no sockets at all.
 */
public record HttpTransport(IoHandlerFactory ioHandlers, Class<? extends ServerChannel> channelType) {

    public static HttpTransport nio() {
        return new HttpTransport(NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    public static HttpTransport local() {
        return new HttpTransport(LocalIoHandler.newFactory(), LocalServerChannel.class);
    }
}
