package dev.portico.runtime.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * One event loop group shared by every {@link TestBackend} in the JVM. Tests start many short-lived backends; giving
 * each its own group would cost threads on a 2-core box and a graceful-shutdown quiet period per test. The threads are
 * daemons, so the group never keeps a test JVM alive.
 */
final class BackendEventLoop {

    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("test-backend", true), NioIoHandler.newFactory());

    private BackendEventLoop() {
    }
}
