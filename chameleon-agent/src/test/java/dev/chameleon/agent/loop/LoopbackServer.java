package dev.chameleon.agent.loop;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 (a free port) for health-gate tests: answers every request
 * with the status and body set last, or never answers ({@link #hang()}) until closed.
 */
public final class LoopbackServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicInteger hits = new AtomicInteger();
    private volatile int status = 200;
    private volatile String body = "ok";
    private volatile boolean hang;

    private LoopbackServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            try (exchange) {
                if (hang) {
                    released.await();
                    return;
                }
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
                if (b.length > 0) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(b);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    public static LoopbackServer start() throws IOException {
        return new LoopbackServer();
    }

    /** {@code http://127.0.0.1:PORT/PATH}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** From now on, answers {@code status} with {@code body}. */
    public LoopbackServer answer(int status, String body) {
        this.status = status;
        this.body = body;
        this.hang = false;
        return this;
    }

    /** From now on, accepts requests and never answers them (until closed). */
    public LoopbackServer hang() {
        this.hang = true;
        return this;
    }

    /** Requests received so far. */
    public int hits() {
        return hits.get();
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
