package dev.switchyard.server.http;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The transport the HTTP server runs on, passed in rather than chosen inside (as grpc-java's servers
 * take a ServerBuilder): NIO sockets today; epoll or io_uring (or Netty's in-process local channels
 * for a test) are another pair of an I/O handler factory and a server channel class.
 */
public record HttpTransport(IoHandlerFactory ioHandlers, Class<? extends ServerChannel> channelType) {

    public static HttpTransport nio() {
        return new HttpTransport(NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
