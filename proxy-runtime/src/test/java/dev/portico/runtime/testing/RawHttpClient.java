package dev.portico.runtime.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A bare socket client for protocol-level tests: it sends exactly the bytes a test writes (malformed requests,
 * smuggling attempts, pipelining) and parses responses itself, so nothing between the test and the proxy
 * "fixes" anything. Every read has a deadline; a misbehaving proxy fails the test instead of hanging it.
 */
public final class RawHttpClient implements AutoCloseable {

    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DEFAULT_CLOSE_WAIT = Duration.ofSeconds(2);
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final Socket socket;
    private final DeadlineInputStream deadlineIn;
    private final BufferedInputStream in;
    private final OutputStream out;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;

    private RawHttpClient(Socket socket) throws IOException {
        this.socket = socket;
        this.deadlineIn = new DeadlineInputStream(socket);
        this.in = new BufferedInputStream(deadlineIn);
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code 127.0.0.1:port}. */
    public static RawHttpClient connect(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MS);
            return new RawHttpClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} from another loopback address, e.g. {@code 127.0.0.2}: Linux routes all
     * of 127/8 to lo, so one machine can be several clients for per-client limits.
     */
    public static RawHttpClient connectFrom(String sourceAddress, int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(sourceAddress, 0));
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MS);
            return new RawHttpClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} with a small receive buffer (set before connecting, so the TCP window
     * is small from the start): a client that stops reading then holds back the proxy after little data.
     */
    public static RawHttpClient connectWithReceiveBuffer(int port, int receiveBufferBytes) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setReceiveBufferSize(receiveBufferBytes);
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MS);
            return new RawHttpClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Wraps a socket that is already connected, e.g. an {@code SSLSocket} after its handshake. */
    public static RawHttpClient over(Socket socket) throws IOException {
        return new RawHttpClient(socket);
    }

    /** Changes the deadline for each later {@code read*} call (default 10 s). */
    public RawHttpClient readTimeout(Duration timeout) {
        this.readTimeout = timeout;
        return this;
    }

    /** Sends {@code raw} as ISO-8859-1 bytes, verbatim: write the CRLFs yourself. */
    public RawHttpClient send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Half-closes: the peer reads EOF but may still answer. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** The next final response, skipping any {@code 1xx} interim responses (except 101, which is final). */
    public RawResponse readResponse() throws IOException {
        return readResponse(false);
    }

    /**
     * The next final response. Pass {@code headRequest = true} when it answers a HEAD request: such a response
     * announces a length but has no body, and nothing on the wire says so.
     */
    public RawResponse readResponse(boolean headRequest) throws IOException {
        deadlineIn.startDeadline(readTimeout);
        RawResponse response;
        do {
            response = new RawResponseParser(in).read(headRequest);
        } while (response.isInterim());
        return response;
    }

    /** The next response as is, interim or final: lets a test see {@code 100 Continue} before the final answer. */
    public RawResponse readInterimOrFinal() throws IOException {
        deadlineIn.startDeadline(readTimeout);
        return new RawResponseParser(in).read(false);
    }

    /** Everything until the peer closes (e.g. a non-HTTP answer), within the read timeout. */
    public byte[] readUntilClosed() throws IOException {
        deadlineIn.startDeadline(readTimeout);
        return in.readAllBytes();
    }

    /** Like {@link #readUntilClosed}, but a reset ends the data as a close does: what came before is returned. */
    public byte[] readUntilClosedOrReset() throws IOException {
        deadlineIn.startDeadline(readTimeout);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                got.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            // "Connection reset": the peer closed with data of ours unread; the end all the same.
        }
        return got.toByteArray();
    }

    /**
     * A slow reader: reads at most {@code chunkBytes}, pauses {@code pause}, and again, until the peer closes;
     * each read has the read timeout. Returns everything read.
     */
    public byte[] readSlowly(int chunkBytes, Duration pause) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[chunkBytes];
        while (true) {
            deadlineIn.startDeadline(readTimeout);
            int wanted = chunkBytes;
            int n = 0;
            while (wanted > 0 && (n = in.read(buffer, 0, wanted)) != -1) {
                got.write(buffer, 0, n);
                wanted -= n;
            }
            if (n == -1) {
                return got.toByteArray();
            }
            try {
                Thread.sleep(pause.toMillis()); // the slowness is the point: this client is under test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /** {@link #isClosedByPeer(Duration)} with a 2 s wait. */
    public boolean isClosedByPeer() throws IOException {
        return isClosedByPeer(DEFAULT_CLOSE_WAIT);
    }

    /**
     * Whether the peer closes (FIN or RST) within {@code wait}. Returns false as soon as data is available instead,
     * without consuming it, so an unexpected extra response stays readable for the assertion message.
     */
    public boolean isClosedByPeer(Duration wait) throws IOException {
        deadlineIn.startDeadline(wait);
        in.mark(1);
        try {
            if (in.read() == -1) {
                return true;
            }
            in.reset();
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            // "Connection reset": closed, just not politely.
            return true;
        }
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /**
     * Turns the socket's per-read timeout into a deadline for a whole operation, so a peer trickling one byte at a
     * time cannot stretch a 10 s read timeout into minutes.
     */
    private static final class DeadlineInputStream extends FilterInputStream {

        private final Socket socket;
        private long deadlineNanos = Long.MAX_VALUE;
        private Duration budget = Duration.ZERO;

        DeadlineInputStream(Socket socket) throws IOException {
            super(socket.getInputStream());
            this.socket = socket;
        }

        void startDeadline(Duration timeout) {
            budget = timeout;
            deadlineNanos = System.nanoTime() + timeout.toNanos();
        }

        @Override
        public int read() throws IOException {
            armTimeout();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            armTimeout();
            return super.read(b, off, len);
        }

        private void armTimeout() throws IOException {
            long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (remainingMs <= 0) {
                throw new SocketTimeoutException("no complete answer within " + budget.toMillis() + " ms");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMs));
        }
    }
}
