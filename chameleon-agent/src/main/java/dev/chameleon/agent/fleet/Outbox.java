package dev.chameleon.agent.fleet;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.chameleon.wire.Report;
import dev.chameleon.wire.ReportBatch;
import dev.chameleon.wire.ReportKind;
import dev.chameleon.wire.ReportLimits;
import dev.chameleon.wire.Wire;
import dev.chameleon.wire.WireFormatException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The agent's reports waiting for the server, one file each under {@code STATE/server/outbox/}
 * ({@code SEQ.json}: one {@link Report} as JSON, written atomically), so they survive restarts and
 * outages. Each report gets its idempotency key when it is queued ({@code r-BOOT-SEQ}) and keeps it
 * across retries: the server stores it once however often it is sent. A report leaves the outbox
 * only when the server acknowledged it (accepted, or a duplicate).
 *
 * <p>Bounded: at most {@code maxReports} reports and {@code maxBytes} bytes. Queuing beyond either
 * drops the oldest reports (never blocking the pass) and counts them; the count is kept in
 * {@code outbox/dropped} and sent as one {@code event} report of type {@code reports-dropped}
 * ({@code {"type": "reports-dropped", "dropped": N}}) with the next batch. Thread-safe.
 */
public final class Outbox {
    private static final String SUFFIX = ".json";
    private final Path dir;
    private final int maxReports;
    private final long maxBytes;
    private final String boot;
    private final TreeMap<Long, Long> sizes = new TreeMap<>(); // seq → bytes, oldest first
    private long bytes;
    private long nextSeq;
    private long dropped;
    private long queued;
    private final Consumer<Long> onDrop;

    /**
     * Opens the outbox, reading what a previous run left.
     *
     * @param maxReports most reports kept, ≥ 2
     * @param maxBytes   most bytes kept, ≥ 64 KiB
     * @param onDrop     told how many reports were dropped (for the log and metrics); called with the lock held
     * @throws IOException the folder cannot be created or listed
     */
    public Outbox(Path dir, int maxReports, long maxBytes, Consumer<Long> onDrop) throws IOException {
        if (maxReports < 2 || maxBytes < 64 * 1024) {
            throw new IllegalArgumentException("an outbox keeps at least 2 reports and 64 KiB");
        }
        this.dir = dir;
        this.maxReports = maxReports;
        this.maxBytes = maxBytes;
        this.onDrop = onDrop;
        byte[] b = new byte[4];
        new SecureRandom().nextBytes(b);
        this.boot = HexFormat.of().formatHex(b);
        FleetFiles.createPrivateDir(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                try {
                    long seq = Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
                    long size = Files.size(p);
                    sizes.put(seq, size);
                    bytes += size;
                } catch (NumberFormatException e) {
                    // not ours
                }
            }
        }
        nextSeq = sizes.isEmpty() ? 1 : sizes.lastKey() + 1;
        Path d = dir.resolve("dropped");
        if (Files.exists(d)) {
            try {
                dropped = Long.parseLong(Files.readString(d).strip());
            } catch (NumberFormatException e) {
                dropped = 0;
            }
        }
    }

    /** Reports queued since this outbox was opened (dropped ones included). */
    public synchronized long queued() {
        return queued;
    }

    /** Reports waiting. */
    public synchronized int size() {
        return sizes.size();
    }

    /** Bytes waiting. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Reports dropped and not yet reported to the server as dropped. */
    public synchronized long dropped() {
        return dropped;
    }

    /**
     * Queues a report made now; drops the oldest when over a bound.
     *
     * @param payload compact JSON of one object
     * @return the report's idempotency key
     */
    public synchronized String add(ReportKind kind, Instant time, String payload) {
        long seq = nextSeq++;
        queued++;
        String id = "r-" + boot + "-" + seq;
        Report r = new Report(id, kind, time.toString(), payload);
        String text = json(r);
        Path f = dir.resolve(String.format("%016d", seq) + SUFFIX);
        try {
            FleetFiles.writePrivate(f, text);
        } catch (IOException e) {
            // a full disk must not stop the pass: this report is lost, and counted
            countDropped(1);
            return id;
        }
        long size = text.length();
        sizes.put(seq, size);
        bytes += size;
        long n = 0;
        while (sizes.size() > maxReports || (bytes > maxBytes && sizes.size() > 1)) {
            var oldest = sizes.pollFirstEntry();
            bytes -= oldest.getValue();
            delete(oldest.getKey());
            n++;
        }
        if (n > 0) {
            countDropped(n);
        }
        return id;
    }

    /**
     * The oldest reports, at most {@code max}, and the {@code reports-dropped} event first when
     * reports were dropped (its id names the count, so a retry of it is the same report).
     * A file that no longer reads is removed and counted as dropped.
     */
    public synchronized List<Report> oldest(int max) {
        List<Report> out = new ArrayList<>();
        if (dropped > 0) {
            out.add(new Report("dropped-" + boot + "-" + nextSeq + "-" + dropped, ReportKind.EVENT, Instant.now().toString(),
                    "{\"type\":\"reports-dropped\",\"dropped\":" + dropped + ",\"summary\":\"" + dropped
                            + " report(s) dropped by the agent: its outbox was full, or they could not be written, read back or sent\"}"));
        }
        List<Long> bad = new ArrayList<>();
        for (Long seq : sizes.keySet()) {
            if (out.size() >= Math.min(max, ReportBatch.MAX_REPORTS)) {
                break;
            }
            try {
                String text = Files.readString(file(seq));
                out.add(Wire.readReportBatch("{\"reports\":[" + text + "]}").reports().get(0));
            } catch (NoSuchFileException e) {
                bad.add(seq);
            } catch (IOException | WireFormatException | RuntimeException e) {
                bad.add(seq);
            }
        }
        for (Long seq : bad) {
            bytes -= sizes.remove(seq);
            delete(seq);
        }
        if (!bad.isEmpty()) {
            countDropped(bad.size());
        }
        return out;
    }

    /** Removes the reports the server acknowledged (accepted or duplicate), by id. */
    public synchronized void acknowledge(Collection<String> ids) {
        for (String id : ids) {
            if (id.startsWith("dropped-")) {
                long n = Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
                dropped = Math.max(0, dropped - n);
                saveDropped();
                continue;
            }
            if (!id.startsWith("r-")) {
                continue;
            }
            long seq;
            try {
                seq = Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            Long size = sizes.remove(seq);
            if (size != null) {
                bytes -= size;
                delete(seq);
            }
        }
    }

    /**
     * Drops one report the server refused when sent alone (it would block the outbox forever), and
     * queues in its place an {@code event} report of type {@code report-refused} saying so with the
     * server's answer: {@code {"type": "report-refused", "report": ID, "kind": KIND, "summary":
     * "report ID (KIND) was refused by the server and dropped: ...", "message": ANSWER}} (summary and
     * message shortened to {@link ReportLimits}). Not counted as dropped from a full outbox.
     *
     * @param reason the server's answer ({@code HTTP 400: ...})
     */
    public synchronized void refuse(Report r, String reason) {
        acknowledge(List.of(r.id()));
        if (r.payload().contains("\"type\":\"report-refused\"")) {
            // a refusal notice refused in turn: say it by the count rather than loop
            countDropped(1);
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "report-refused");
        m.put("time", Instant.now().toString());
        m.put("report", r.id());
        m.put("kind", r.kind().wire());
        String firstLine = reason.lines().findFirst().orElse(reason);
        m.put("summary", ReportLimits.shorten("report " + r.id() + " (" + r.kind().wire() + ") was refused by the server and dropped: "
                + firstLine, ReportLimits.LINE));
        m.put("message", ReportLimits.shorten(reason, ReportLimits.TEXT));
        add(ReportKind.EVENT, Instant.now(), dev.chameleon.model.json.Json.compact(m));
    }

    private void countDropped(long n) {
        dropped += n;
        saveDropped();
        onDrop.accept(n);
    }

    private void saveDropped() {
        try {
            FleetFiles.writePrivate(dir.resolve("dropped"), dropped + "\n");
        } catch (IOException e) {
            // kept in memory
        }
    }

    private Path file(long seq) {
        return dir.resolve(String.format("%016d", seq) + SUFFIX);
    }

    private void delete(long seq) {
        try {
            Files.deleteIfExists(file(seq));
        } catch (IOException e) {
            // read back as garbage later and removed then
        }
    }

    private static String json(Report r) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
            Wire.write(g, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
