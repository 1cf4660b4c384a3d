package dev.chameleon.cli.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of QEMU's machine protocol (QMP) on the Unix socket the harness gives QEMU
 * ({@code -qmp unix:PATH,server=on,wait=off}): the greeting, {@code qmp_capabilities}, then one
 * command at a time. Asynchronous events that arrive between answers are kept in {@link #events()}.
 * Every wait is bounded: a command that gets no answer in {@code timeout} fails.
 */
final class QmpClient implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final long timeoutMillis;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "qmp-reader");
        t.setDaemon(true);
        return t;
    });
    private final List<JsonNode> events = new ArrayList<>();

    private QmpClient(SocketChannel channel, long timeoutMillis) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        this.timeoutMillis = timeoutMillis;
    }

    /** Connects (waiting up to {@code timeoutMillis} for QEMU to create the socket) and negotiates capabilities. */
    static QmpClient connect(Path socket, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    QmpClient c = new QmpClient(ch, timeoutMillis);
                    JsonNode greeting = c.readMessage();
                    if (!greeting.has("QMP")) {
                        throw new IOException("QMP greeting expected, got " + greeting);
                    }
                    c.execute(JSON.createObjectNode().put("execute", "qmp_capabilities"));
                    return c;
                } catch (IOException e) {
                    ch.close();
                    last = e;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting to QMP at " + socket, e);
            }
        }
        throw new IOException("no QMP socket at " + socket + " after " + timeoutMillis + " ms"
                + (last == null ? "" : ": " + last.getMessage()), last);
    }

    /**
     * Sends one command ({@code {"execute": ..., "arguments": {...}}}) and returns QEMU's answer:
     * {@code {"return": ...}} or {@code {"error": {"class": ..., "desc": ...}}}.
     */
    JsonNode execute(JsonNode command) throws IOException {
        out.write((JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            JsonNode m = readMessage();
            if (m.has("event")) {
                synchronized (events) {
                    events.add(m);
                }
                continue;
            }
            return m;
        }
    }

    /** Events QEMU sent so far (DEVICE_ADDED, ACPI_DEVICE_OST, ...). */
    List<JsonNode> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    private JsonNode readMessage() throws IOException {
        Future<String> line = reader.submit(in::readLine);
        String text;
        try {
            text = line.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            line.cancel(true);
            throw new IOException("QMP: no answer in " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading QMP", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("QMP read failed: " + e.getCause(), e.getCause());
        }
        if (text == null) {
            throw new IOException("QMP connection closed (QEMU exited?)");
        }
        return JSON.readTree(text);
    }

    @Override
    public void close() throws IOException {
        reader.shutdownNow();
        channel.close();
    }
}
