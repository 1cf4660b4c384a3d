package dev.chameleon.agent.loop;

import dev.chameleon.model.event.Event;
import dev.chameleon.model.json.EventCodec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;

/**
 * The agent's report: every {@link Event} as one JSON line appended to the events file (an
 * operator can {@code tail -f} it; {@link EventCodec} reads it back), and the same event on the
 * log, as text or JSON lines. Each line has {@code time} (ISO-8601) and {@code event}.
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

    /** Writes one event, stamped now. A write failure of the events file goes to the log. */
    public synchronized void emit(Event event) {
        Event.Logged e = new Event.Logged(clock.instant(), event);
        String line = EventCodec.write(e);
        if (file != null) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException ex) {
                log.println(e.time() + " error: cannot write events file " + file + ": " + ex.getMessage());
            }
        }
        if (jsonLog) {
            log.println(line);
        } else {
            StringBuilder sb = new StringBuilder().append(e.time()).append(' ').append(event.type());
            event.fields().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
            log.println(sb);
        }
        log.flush();
    }

    public Path file() {
        return file;
    }
}
