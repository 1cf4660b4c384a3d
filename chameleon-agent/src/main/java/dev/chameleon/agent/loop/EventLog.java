package dev.chameleon.agent.loop;

import dev.chameleon.model.json.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's report: every event as one JSON line appended to the events file (an operator can
 * {@code tail -f} it), and the same event on the log, as text or JSON lines.
 * Events: {@code start}, {@code trigger}, {@code pass}, {@code change-set}, {@code health-gate}, {@code external-change},
 * {@code frozen}, {@code error}, {@code stop}; each has {@code time} (ISO-8601) and {@code event}.
 */
public final class EventLog {
    private final Path file;
    private final PrintWriter log;
    private final boolean jsonLog;
    private final Clock clock;

    public EventLog(Path file, PrintWriter log, boolean jsonLog, Clock clock) {
        this.file = file;
        this.log = log;
        this.jsonLog = jsonLog;
        this.clock = clock;
    }

    /** Writes one event; {@code fields} in order. A write failure of the events file goes to the log. */
    public synchronized void emit(String event, Map<String, ?> fields) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", clock.instant().toString());
        e.put("event", event);
        e.putAll(fields);
        String line = Json.compact(e);
        if (file != null) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException ex) {
                log.println(e.get("time") + " error: cannot write events file " + file + ": " + ex.getMessage());
            }
        }
        if (jsonLog) {
            log.println(line);
        } else {
            StringBuilder sb = new StringBuilder().append(e.get("time")).append(' ').append(event);
            fields.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
            log.println(sb);
        }
        log.flush();
    }

    public Path file() {
        return file;
    }
}
