package dev.chameleon.model.status;

import dev.chameleon.model.event.Event;
import java.util.List;
import java.util.Map;

/**
 * What the running agent reports about itself ({@code chameleon status}, its control socket):
 * {@link dev.chameleon.model.json.StatusCodec} is its one codec.
 *
 * @param pid       the agent's process id
 * @param mode      {@code plan} or {@code apply}
 * @param startedAt ISO-8601
 * @param interval  between passes, ISO-8601 ({@code PT1M})
 * @param uevents   how hotplug is heard: {@code netlink}, {@code udevadm} or {@code none}
 * @param passes    passes so far
 * @param platform  the {@code platform} facts of the last pass (empty before the first)
 * @param lastPass  the last pass, or null before the first
 * @param pending   the changes the last pass found, each {@code KEY: CURRENT -> TARGET}
 * @param drift     settings changed by someone else and not put back
 * @param frozen    keys left alone until restart (flapping, or failed the health gate), sorted
 * @param healthGate the gate's settings and its last verdict
 * @param cost      the agent's own resident memory and CPU
 * @param eventsFile where the events are appended
 * @param tunings   one line per assigned Tuning ({@code Tuning NAME assigned; not run: the agent is in plan mode},
 *                  {@code Tuning NAME running}, {@code Tuning NAME done: ...}); empty when none is assigned
 */
public record AgentStatus(long pid, String mode, String startedAt, String interval, String uevents, long passes,
                          Map<String, Object> platform, Event.PassSummary lastPass, List<String> pending, List<Drift> drift,
                          List<String> frozen, Gate healthGate, Cost cost, String eventsFile, List<String> tunings) {
    public AgentStatus {
        tunings = tunings == null ? List.of() : List.copyOf(tunings);
        pending = List.copyOf(pending);
        drift = List.copyOf(drift);
        frozen = List.copyOf(frozen);
    }

    /** A managed setting found changed: the journal's value, what is there now, when first seen (ISO-8601). */
    public record Drift(String key, String before, String after, String when) {
    }

    /** The health gate: its settings and the last verdict ({@code last} null when none yet). */
    public record Gate(Event.GateSettings settings, Last last) {
    }

    /** The gate's last verdict and when (ISO-8601). */
    public record Last(String at, Event.GateOutcome outcome) {
    }

    /**
     * The agent's own cost; each null when unreadable.
     *
     * @param rssKiB      resident memory now, KiB ({@code /proc/self/status} VmRSS)
     * @param peakRssKiB  resident memory peak, KiB (VmHWM)
     * @param cpuMillis   user + system CPU of the process, ms
     * @param heapUsedKiB Java heap in use, KiB
     * @param threads     threads of the process, JVM threads included
     */
    public record Cost(Long rssKiB, Long peakRssKiB, Long cpuMillis, Long heapUsedKiB, Long threads) {
    }
}
