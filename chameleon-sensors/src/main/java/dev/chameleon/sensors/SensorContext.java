package dev.chameleon.sensors;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * What a sensor gets: the host to read, a place to note where each value came from, a place to
 * note sources that were there but could not be used ("problems", reported under
 * {@code meta.sensors.<name>.problems}), and the {@link FactCache} for constants.
 *
 * <p>The read helpers keep absent, failed and unknown apart: an absent file gives an empty
 * result and no note; a file that exists but cannot be read (permission denied, a directory, a
 * symlink loop, an I/O error) or holds garbage where a number belongs gives an empty result and
 * a problem with the reason.
 *
 * <p>Time: a sensor run by the {@link SensorSuite} has a deadline (its timeout from the start of
 * the collection). {@link #run(Command, Duration)} runs a command within what is left of it, so
 * a hung command costs at most the sensor's remaining budget and never the facts already read;
 * {@link #settle(Object)} hands the suite the facts settled so far, which it reports if the
 * sensor still runs past its deadline.
 */
public final class SensorContext {
    private final Host host;
    private final FactCache cache;
    private final String sensor;
    private final Map<String, String> provenance;
    private final Map<String, List<Map<String, Object>>> problems;
    private final AtomicInteger cacheHits = new AtomicInteger();
    private final long startNanos;
    private final long budgetNanos;
    private final AtomicReference<Object> settled = new AtomicReference<>();

    /** The share of a sensor's budget kept back from commands, so that it can still answer: a tenth, at most 1 s. */
    static final long MAX_RESERVE_NANOS = 1_000_000_000L;
    /** A command is not started with less than this left of the budget. */
    static final long MIN_COMMAND_NANOS = 50_000_000L;

    /** A context for one collection with a fresh cache and no deadline (tests, one-shot use). */
    public SensorContext(Host host) {
        this(host, new FactCache(), "", new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), System.nanoTime(), -1);
    }

    private SensorContext(Host host, FactCache cache, String sensor, Map<String, String> provenance,
                          Map<String, List<Map<String, Object>>> problems, long startNanos, long budgetNanos) {
        this.host = host;
        this.cache = cache;
        this.sensor = sensor;
        this.provenance = provenance;
        this.problems = problems;
        this.startNanos = startNanos;
        this.budgetNanos = budgetNanos;
    }

    /** A context for one collection that keeps constants in {@code cache}. */
    static SensorContext of(Host host, FactCache cache) {
        return new SensorContext(host, cache, "", new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), System.nanoTime(), -1);
    }

    /**
     * The same collection seen by one sensor: problems and cache keys are filed under its name,
     * and it has {@code budget} from {@code startNanos} ({@link System#nanoTime()}) to answer.
     */
    SensorContext forSensor(String name, long startNanos, Duration budget) {
        return new SensorContext(host, cache, name, provenance, problems, startNanos, budget == null ? -1 : budget.toNanos());
    }

    /** The same collection seen by one sensor, without a deadline. */
    SensorContext forSensor(String name) {
        return forSensor(name, System.nanoTime(), null);
    }

    public Host host() {
        return host;
    }

    /** Time left before this sensor's deadline; empty when it has none. Never negative. */
    public Optional<Duration> remaining() {
        if (budgetNanos < 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(Math.max(0, startNanos + budgetNanos - System.nanoTime())));
    }

    /**
     * The time a command may take now: {@code wanted}, cut to what is left of the sensor's budget
     * after a reserve (a tenth of the budget, at most 1 s) for the sensor to answer with what it
     * has. {@link Duration#ZERO} when too little is left to start one.
     */
    public Duration commandTimeout(Duration wanted) {
        if (budgetNanos < 0) {
            return wanted;
        }
        long reserve = Math.min(MAX_RESERVE_NANOS, budgetNanos / 10);
        long left = startNanos + budgetNanos - reserve - System.nanoTime();
        if (left < MIN_COMMAND_NANOS) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.min(wanted.toNanos(), left));
    }

    /**
     * Runs a command through the host's runner within the sensor's budget (see
     * {@link #commandTimeout(Duration)}). A command that timed out, or was not started because
     * the budget is spent, is noted as a problem ({@code source}: the command, {@code error}: why)
     * and comes back {@link CommandResult.Status#TIMED_OUT}; one that could not start is noted too.
     */
    public CommandResult run(Command command, Duration wanted) {
        String source = "command: " + command.display();
        Duration t = commandTimeout(wanted);
        CommandResult r;
        if (t.isZero()) {
            r = new CommandResult(CommandResult.Status.TIMED_OUT, -1, "",
                    "not run: the sensor's time budget is spent", source);
        } else {
            try {
                r = host.commands().run(command, t);
            } catch (RuntimeException e) {
                r = new CommandResult(CommandResult.Status.FAILED_TO_START, -1, "",
                        e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), source);
            }
        }
        if (r.status() == CommandResult.Status.TIMED_OUT || r.status() == CommandResult.Status.FAILED_TO_START) {
            problem(source, r.stderr().isBlank() ? r.status().name().toLowerCase(java.util.Locale.ROOT) : r.stderr());
        }
        return r;
    }

    /**
     * The facts this sensor has settled so far (a plain-value map or list, immutable from here
     * on). If the sensor does not answer by its deadline, the suite reports these, marked
     * {@code partial}, instead of nothing.
     */
    public void settle(Object facts) {
        settled.set(facts);
    }

    /** What {@link #settle(Object)} last gave; null when nothing. */
    Object settled() {
        return settled.get();
    }

    public SysRoot root() {
        return host.root();
    }

    /** Records that the fact at {@code path} (dotted, e.g. {@code cpu.vendor}) came from {@code source}. */
    public void provenance(String path, String source) {
        provenance.put(path, source);
    }

    /** Notes that {@code source} was there but could not be used, and why. */
    public void problem(String source, String error) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("source", source);
        p.put("error", error);
        problems.computeIfAbsent(sensor, k -> Collections.synchronizedList(new ArrayList<>())).add(p);
    }

    /**
     * A value that does not change while the machine runs, read once per {@link FactCache}
     * (key is filed under this sensor's name).
     */
    public <T> T constant(String key, Supplier<T> read) {
        return cache.get(sensor + "." + key, read, cacheHits::incrementAndGet);
    }

    /**
     * What this sensor keeps between collections under {@code key} (filed under its name), made by
     * {@code create} the first time in this {@link FactCache}: the daemon's cache keeps it from pass
     * to pass; a one-shot command's fresh cache starts empty.
     */
    public <T> T memory(String key, Supplier<T> create) {
        return cache.memory(sensor + "." + key, create);
    }

    /**
     * A costly answer this sensor stored under {@code key} in an earlier process with the same
     * {@code stamp} (see {@link FactCache}: intact, ours, same stamp); empty otherwise or without
     * a store.
     */
    public Optional<String> stored(String key, String stamp) {
        return cache.stored(sensor + "." + key, stamp);
    }

    /** Keeps {@code answer} under {@code key} with {@code stamp} for later processes, when the cache has a store. */
    public void store(String key, String stamp, String answer) {
        cache.store(sensor + "." + key, stamp, answer);
    }

    /** The text of a file; empty when absent (no note) or unreadable (a problem is noted). */
    public Optional<String> text(String path) {
        HostFile f = host.root().read(path);
        if (f.isPresent()) {
            return Optional.of(f.text());
        }
        if (f.status() == HostFile.Status.UNREADABLE) {
            problem(path, f.error());
        }
        return Optional.empty();
    }

    /** The trimmed text of a file, as sysfs values are read; see {@link #text(String)}. */
    public Optional<String> value(String path) {
        return text(path).map(t -> t.replace('\0', ' ').strip());
    }

    /** A decimal number in a file; a present non-number is a problem ("not a number"). */
    public Optional<Long> longValue(String path) {
        Optional<String> v = value(path);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> n = Sensors.parseLong(v.get());
        if (n.isEmpty()) {
            problem(path, "not a number: " + abbreviate(v.get()));
        }
        return n;
    }

    static String abbreviate(String s) {
        String one = s.replaceAll("[\\p{Cntrl}\\uFFFD]", "?");
        return one.length() > 40 ? one.substring(0, 40) + "…" : one;
    }

    Map<String, String> provenance() {
        return provenance;
    }

    List<Map<String, Object>> problemsOf(String name) {
        List<Map<String, Object>> l = problems.get(name);
        if (l == null) {
            return List.of();
        }
        synchronized (l) {
            return List.copyOf(l);
        }
    }

    int cacheHits() {
        return cacheHits.get();
    }
}
