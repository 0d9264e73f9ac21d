package dev.portico.operator.acme;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A slow network in front of a CA, on loopback: every byte the CA sends reaches the client {@code delay}
 * after the CA sent it (latency, not a throttle: bytes keep their order and spacing). TLS passes through
 * untouched, so the CA's certificate still verifies. Bounded: at most {@link #MAX_CONNECTIONS} connections,
 * and it closes everything by itself after {@code lifetime} even if nobody closes it.
 */
final class SlowRelay implements AutoCloseable {

    private static final int MAX_CONNECTIONS = 32;

    private final ServerSocket server;
    private final int target;
    private final Duration delay;
    private final long stopAt;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    SlowRelay(int target, Duration delay, Duration lifetime) throws IOException {
        this.target = target;
        this.delay = delay;
        this.stopAt = System.nanoTime() + lifetime.toNanos();
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.setSoTimeout(200);
        daemon("slow-relay-accept", this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        int accepted = 0;
        try {
            while (!closed && System.nanoTime() < stopAt && accepted < MAX_CONNECTIONS) {
                Socket client;
                try {
                    client = server.accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                accepted++;
                Socket ca = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(ca);
                daemon("slow-relay-up", () -> copy(client, ca));
                BlockingQueue<Chunk> delayed = new LinkedBlockingQueue<>();
                daemon("slow-relay-down-read", () -> read(ca, delayed));
                daemon("slow-relay-down-write", () -> writeLate(delayed, client));
            }
        } catch (IOException e) {
            // closed, or the CA refused: the client sees its connection end
        } finally {
            close();
        }
    }

    private record Chunk(long due, byte[] bytes) {}

    private static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // either side closed
        }
    }

    private void read(Socket ca, BlockingQueue<Chunk> delayed) {
        byte[] buffer = new byte[16384];
        try (InputStream in = ca.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                delayed.add(new Chunk(System.nanoTime() + delay.toNanos(), Arrays.copyOf(buffer, n)));
            }
        } catch (IOException e) {
            // closed
        }
        delayed.add(new Chunk(System.nanoTime() + delay.toNanos(), null));
    }

    private static void writeLate(BlockingQueue<Chunk> delayed, Socket client) {
        try (OutputStream out = client.getOutputStream()) {
            while (true) {
                Chunk chunk = delayed.take();
                long wait = chunk.due() - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (chunk.bytes() == null) {
                    return;
                }
                out.write(chunk.bytes());
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // client closed, or the relay stops
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
