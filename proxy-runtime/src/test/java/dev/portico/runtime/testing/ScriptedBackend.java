package dev.portico.runtime.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A raw-socket HTTP/1.1 origin on 127.0.0.1 that answers some targets with exact bytes, written when and as a
 * test says: a body on a HEAD response, bytes after the end of a response, a second response nobody asked for.
 * Nothing fixes anything up, which is the point. Every other request gets the well-behaved answer
 * {@code "real answer to <METHOD> <target> on connection <n>"} with a Content-Length (no body for HEAD).
 *
 * <p>One thread per connection reads a request head, answers, and reads the next; a request's Content-Length body
 * is read and dropped. Scripted writes are done on that thread, each after its delay, so a delayed write lands
 * while the connection idles between requests.
 */
public final class ScriptedBackend implements AutoCloseable {

    private static final int MAX_HEAD = 64 * 1024;

    /** Bytes to write, after a pause. */
    public record Write(byte[] bytes, Duration delay) {}

    /** A request as the backend read it: its method, target and the 1-based number of its TCP connection. */
    public record Seen(String method, String target, int connectionId) {}

    private final ServerSocket server;
    private final Map<String, List<Write>> scripts = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger scriptsFinished = new AtomicInteger();

    private ScriptedBackend(ServerSocket server) {
        this.server = server;
    }

    public static ScriptedBackend start() {
        return start(null);
    }

    /** The same over TLS with {@code tls}'s certificate ({@code protocol: HTTPS} backends). */
    public static ScriptedBackend startTls(SSLContext tls) {
        return start(tls);
    }

    private static ScriptedBackend start(SSLContext tls) {
        try {
            ServerSocket server = tls == null ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress())
                    : tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            ScriptedBackend backend = new ScriptedBackend(server);
            Thread acceptor = new Thread(backend::acceptLoop, "scripted-backend-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            return backend;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Written at once. */
    public static Write now(String text) {
        return new Write(text.getBytes(StandardCharsets.ISO_8859_1), Duration.ZERO);
    }

    /** Written after {@code delay}. */
    public static Write after(Duration delay, String text) {
        return new Write(text.getBytes(StandardCharsets.ISO_8859_1), delay);
    }

    /** Requests for {@code target} (exactly as on the request line) get {@code writes} instead of the real answer. */
    public ScriptedBackend script(String target, Write... writes) {
        scripts.put(target, List.of(writes));
        return this;
    }

    /** The well-behaved answer to {@code method target} on connection {@code connectionId}. */
    public static String realAnswer(String method, String target, int connectionId) {
        return "real answer to " + method + " " + target + " on connection " + connectionId;
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<Seen> requests() {
        return List.copyOf(seen);
    }

    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Scripted answers whose last write is out. */
    public int scriptsFinished() {
        return scriptsFinished.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                int id = accepted.incrementAndGet();
                open.add(socket);
                Thread thread = new Thread(() -> serve(socket, id), "scripted-backend-" + id);
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket, int id) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (String head; (head = readHead(in)) != null; ) {
                String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
                String method = requestLine[0];
                String target = requestLine[1];
                in.skipNBytes(contentLength(head));
                seen.add(new Seen(method, target, id));
                List<Write> script = scripts.get(target);
                if (script == null) {
                    out.write(realResponse(method, target, id));
                    out.flush();
                    continue;
                }
                for (Write write : script) {
                    if (!write.delay().isZero()) {
                        Thread.sleep(write.delay().toMillis()); // the delay is the test: bytes land on an idle connection
                    }
                    out.write(write.bytes());
                    out.flush();
                }
                scriptsFinished.incrementAndGet();
            }
        } catch (IOException e) {
            // the proxy closed the connection: what these tests expect of it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    private static byte[] realResponse(String method, String target, int id) {
        String body = realAnswer(method, target, id);
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n";
        return (method.equals("HEAD") ? head : head + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The request head up to and including its blank line, or null at EOF before one. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b == -1 || head.size() >= MAX_HEAD) {
                return null;
            }
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring("content-length:".length()).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket socket : open) {
                socket.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
