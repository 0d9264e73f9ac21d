package dev.portico.runtime.server;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Native epoll where the platform has it (Linux), Java NIO everywhere else. */
public record Transports(String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerChannel> serverChannel, Class<? extends Channel> clientChannel) {

    public static Transports best() {
        if (Epoll.isAvailable() && !Boolean.getBoolean("portico.nio")) {
            return new Transports("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class);
        }
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /** The TCP client channel as a SocketChannel type: DNS answers too large for UDP come over TCP. */
    @SuppressWarnings("unchecked")
    public Class<? extends io.netty.channel.socket.SocketChannel> clientSocketChannel() {
        return (Class<? extends io.netty.channel.socket.SocketChannel>) clientChannel;
    }

    /** The UDP channel of this transport: DNS queries run on the workers' loops. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return clientChannel == EpollSocketChannel.class ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
