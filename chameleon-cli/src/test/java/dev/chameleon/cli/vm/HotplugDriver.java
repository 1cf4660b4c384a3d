package dev.chameleon.cli.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hotplug through QMP on the guest's request. A step runs {@code vm-hotplug ACTION ...}, which
 * prints {@code CHAMELEON-QMP ACTION} on the serial console and waits for the device and its
 * setting; this driver sees the line, sends the machine's QMP commands of that action
 * (placeholders: {@code @HOTDISK@} becomes a fresh sparse disk file) and notes the host time of
 * the first {@code device_add}. When the guest sees the setting in place it prints
 * {@code CHAMELEON-HOTPLUG-DONE ACTION}; the host time of that line closes the measurement
 * (serial console latency included, which is well under a millisecond per line).
 */
final class HotplugDriver implements AutoCloseable {
    static final Pattern REQUEST = Pattern.compile("^CHAMELEON-QMP (\\S+)\\s*$");
    static final Pattern DONE = Pattern.compile("^CHAMELEON-HOTPLUG-DONE (\\S+)\\s*$");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long QMP_TIMEOUT_MILLIS = 30_000;

    /**
     * One hotplug as the host saw it. Times are {@link System#nanoTime()}; 0 when it did not happen.
     *
     * @param deviceAddAt just before the first {@code device_add} was sent
     * @param answeredAt  when QEMU answered the last command of the action
     * @param doneAt      when the guest's {@code CHAMELEON-HOTPLUG-DONE} line arrived
     * @param transcript  each command and QEMU's answer, one line each
     * @param error       why the action failed (unknown action, QMP error answer, no socket), or null
     */
    record Hotplug(String action, long requestedAt, long deviceAddAt, long answeredAt, long doneAt,
                   List<String> transcript, String error) {
        /** Milliseconds from {@code device_add} to the guest's "in place" line, or -1. */
        double hostMillis() {
            return deviceAddAt > 0 && doneAt > 0 ? (doneAt - deviceAddAt) / 1e6 : -1;
        }

        String describe() {
            return String.format("hotplug %s: %s%s", action,
                    hostMillis() >= 0 ? String.format("QMP device_add -> setting in place %.0f ms (host clock)", hostMillis())
                            : "not completed",
                    error == null ? "" : "; ERROR " + error);
        }
    }

    private final VmMachine machine;
    private final Path socket;
    private final Path dir;
    private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    private final Map<String, Hotplug> results = new LinkedHashMap<>();
    private final Thread worker;
    private QmpClient qmp;
    private volatile boolean closed;

    HotplugDriver(VmMachine machine, Path socket, Path dir) {
        this.machine = machine;
        this.socket = socket;
        this.dir = dir;
        this.worker = new Thread(this::work, "qmp-hotplug-" + machine.name());
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** A console line; acts on the two markers and ignores the rest. Called by the console pump. */
    void line(String line, long nanos) {
        Matcher m;
        if ((m = REQUEST.matcher(line)).matches()) {
            synchronized (results) {
                results.put(m.group(1), new Hotplug(m.group(1), nanos, 0, 0, 0, List.of(), null));
            }
            requests.add(m.group(1));
        } else if ((m = DONE.matcher(line)).matches()) {
            synchronized (results) {
                Hotplug h = results.get(m.group(1));
                if (h != null) {
                    results.put(h.action(), new Hotplug(h.action(), h.requestedAt(), h.deviceAddAt(), h.answeredAt(), nanos,
                            h.transcript(), h.error()));
                }
            }
        }
    }

    List<Hotplug> results() {
        synchronized (results) {
            return List.copyOf(results.values());
        }
    }

    private void work() {
        while (!closed) {
            String action;
            try {
                action = requests.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (action != null) {
                run(action);
            }
        }
    }

    private void run(String action) {
        List<String> transcript = new ArrayList<>();
        long deviceAddAt = 0;
        String error = null;
        List<JsonNode> commands = machine.qmp().get(action);
        if (commands == null) {
            error = "machine " + machine.name() + " has no qmp action '" + action + "' (it has " + machine.qmp().keySet() + ")";
        } else {
            try {
                if (qmp == null) {
                    qmp = QmpClient.connect(socket, QMP_TIMEOUT_MILLIS);
                }
                int disk = 0;
                for (JsonNode c : commands) {
                    ObjectNode cmd = c.deepCopy();
                    if (cmd.path("arguments").path("file").path("filename").asText().equals("@HOTDISK@")) {
                        Path img = dir.resolve("hotdisk-" + action + "-" + (++disk) + ".img");
                        try (RandomAccessFile raf = new RandomAccessFile(img.toFile(), "rw")) {
                            raf.setLength(machine.diskMb() * 1024L * 1024L);
                        }
                        ((ObjectNode) cmd.get("arguments").get("file")).put("filename", img.toString());
                    }
                    if (deviceAddAt == 0 && cmd.get("execute").asText().equals("device_add")) {
                        deviceAddAt = System.nanoTime();
                    }
                    JsonNode answer = qmp.execute(cmd);
                    transcript.add(JSON.writeValueAsString(cmd) + " -> " + JSON.writeValueAsString(answer));
                    if (answer.has("error")) {
                        error = cmd.get("execute").asText() + ": " + answer.get("error").path("desc").asText(answer.toString());
                        break;
                    }
                }
            } catch (IOException e) {
                error = "QMP: " + e.getMessage();
            }
        }
        long answeredAt = System.nanoTime();
        synchronized (results) {
            Hotplug h = results.get(action);
            results.put(action, new Hotplug(action, h.requestedAt(), deviceAddAt, answeredAt, h.doneAt(), List.copyOf(transcript), error));
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (qmp != null) {
            try {
                qmp.close();
            } catch (IOException ignored) {
                // QEMU is gone already
            }
        }
    }
}
