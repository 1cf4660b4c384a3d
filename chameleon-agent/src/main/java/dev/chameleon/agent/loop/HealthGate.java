package dev.chameleon.agent.loop;

import dev.chameleon.actuators.Applier;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.Host;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The health gate of {@code chameleon run}: after a change set the agent applied, wait
 * {@code settle}, then run the operator's check, a command and/or an HTTP URL on loopback. The
 * command runs without a shell through a {@link CommandRunner} (exit code 0 passes; killed, with
 * its children, after {@code timeout}); the URL is fetched with the JDK's HTTP client (GET, no
 * proxy, no redirects; a 2xx status passes; no answer within {@code timeout} fails). When both
 * are set both must pass; the URL is only asked when the command passed, so a failing set is
 * undone without waiting for a second check. What to do with a failed verdict (undo the set) is
 * the loop's business, not this class's.
 */
public final class HealthGate {
    /** Characters of a check's output kept in its report. */
    public static final int EXCERPT_CHARS = 400;
    /** Bytes of an HTTP body read; the rest is not fetched. */
    static final int BODY_BYTES = 4096;
    /** Longest accepted {@code timeout} and {@code settle}: a check slower than this is not a gate. */
    public static final Duration MAX_WAIT = dev.chameleon.policy.Durations.CHECK_TIMEOUT.max();

    /**
     * What to check and how long to wait.
     *
     * @param command the program (an absolute path) and its arguments, run without a shell; empty
     *                for no command check
     * @param url     an {@code http://} URL whose host is a loopback address literal
     *                ({@code 127.0.0.0/8} or {@code [::1]}); null for no URL check
     * @param timeout per check, more than 0 and at most {@link #MAX_WAIT}; default 30 s
     * @param settle  wait after the change set before checking, 0 to {@link #MAX_WAIT}; default 5 s
     * @throws IllegalArgumentException naming what is wrong (same wording as the config errors)
     */
    public record Settings(List<String> command, URI url, Duration timeout, Duration settle) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(5);

        public Settings {
            command = List.copyOf(command);
            for (int i = 0; i < command.size(); i++) {
                int at = i;
                wordProblem(i, command.get(i)).ifPresent(p -> {
                    throw new IllegalArgumentException("command[" + at + "] " + p);
                });
            }
            if (url != null) {
                urlProblem(url.toString()).ifPresent(p -> {
                    throw new IllegalArgumentException("url " + p);
                });
            }
            timeoutProblem(timeout).ifPresent(p -> {
                throw new IllegalArgumentException("timeout " + p);
            });
            settleProblem(settle).ifPresent(p -> {
                throw new IllegalArgumentException("settle " + p);
            });
        }

        /** No gate: no command, no URL, default times. */
        public static Settings off() {
            return new Settings(List.of(), null, DEFAULT_TIMEOUT, DEFAULT_SETTLE);
        }

        /** True when there is something to check. */
        public boolean enabled() {
            return !command.isEmpty() || url != null;
        }

        /** The settings as the status document and the config event show them (durations as {@code 30s}, {@code 500ms}). */
        public Event.GateSettings report() {
            return new Event.GateSettings(enabled(), command, url == null ? "" : url.toString(), text(timeout), text(settle));
        }

        /** {@link #report()} as a map, in its order. */
        public Map<String, Object> describe() {
            return report().fields();
        }
    }

    /**
     * One check's result.
     *
     * @param check          {@code command} or {@code url}
     * @param target         the command as a person would type it, or the URL
     * @param outcome        {@code passed}; {@code failed} (it answered: exit code not 0, status
     *                       not 2xx); {@code timeout} (no answer within the timeout; a command is
     *                       killed); {@code error} (could not run or connect: not installed,
     *                       connection refused)
     * @param exitCode       the command's exit code when it ran, else null
     * @param httpStatus     the HTTP status when the URL answered, else null
     * @param excerpt        at most {@link #EXCERPT_CHARS} characters of the output (stdout, then
     *                       stderr) or the body, blanks collapsed; or why it could not run
     * @param durationMillis how long the check took, ms
     */
    public record Check(String check, String target, String outcome, Integer exitCode, Integer httpStatus, String excerpt,
                        long durationMillis) {
        public boolean passed() {
            return outcome.equals("passed");
        }

        /** For people: {@code command /usr/local/bin/ok: exit 1}, {@code url http://127.0.0.1:8080/: HTTP 503}. */
        public String describe() {
            String what = exitCode != null ? "exit " + exitCode
                    : httpStatus != null ? "HTTP " + httpStatus
                    : outcome.equals("timeout") ? "no answer in time" : outcome;
            return check + " " + target + ": " + what + (passed() || excerpt.isEmpty() ? "" : " (" + excerpt + ")");
        }

        /** The check as the health-gate event reports it. */
        public Event.Check report() {
            return new Event.Check(check, target, outcome, exitCode, httpStatus, excerpt, durationMillis);
        }

        /** The check as event fields, in a fixed order; absent values left out. */
        public Map<String, Object> fields() {
            return report().fields();
        }
    }

    /** The gate's answer: passed when every check that ran passed; the checks in the order they ran. */
    public record Verdict(boolean passed, List<Check> checks) {
        public Verdict {
            checks = List.copyOf(checks);
        }

        /** The failed checks, described for people; empty when it passed. */
        public String describe() {
            return String.join("; ", checks.stream().filter(c -> !c.passed()).map(Check::describe).toList());
        }

        public List<Map<String, Object>> fields() {
            return checks.stream().map(Check::fields).toList();
        }
    }

    /**
     * What the gate did with one change set.
     *
     * @param changeSet the change set as applied
     * @param verdict   the checks, or null when they did not run (the agent was stopping)
     * @param rollback  the rollback after a failed verdict, or null (passed, not checked, or the
     *                  rollback could not start)
     * @param message   for people: what was undone, or why nothing was; empty when it passed
     */
    public record Outcome(ChangeSet changeSet, Verdict verdict, Applier.Result rollback, String message) {
        /** {@code passed}, {@code failed} or {@code not-checked}. */
        public String outcome() {
            return verdict == null ? "not-checked" : verdict.passed() ? "passed" : "failed";
        }

        /**
         * The settings to leave alone from now on, key → the value that failed: the entries the
         * change set had applied and verified; empty unless it failed.
         */
        public Map<String, String> failedValues() {
            Map<String, String> m = new LinkedHashMap<>();
            if (verdict != null && !verdict.passed()) {
                changeSet.entries().stream().filter(e -> e.state().equals("verified")).forEach(e -> m.put(e.key(), e.after()));
            }
            return m;
        }

        /**
         * The {@code health-gate} event's fields: {@code changeSet}, {@code outcome},
         * {@code checks} (each {@link Check#fields()}), and after a failure {@code failed} (the
         * failed checks in words), {@code rollback} (the change set's status after it:
         * {@code rolled-back}, {@code rollback-incomplete}, or {@code not-started}),
         * {@code message} and {@code frozen} (the keys left alone from now on).
         */
        public Map<String, Object> fields() {
            return report().fields();
        }

        /** The outcome as the {@code health-gate} event reports it ({@link #fields()} describes the fields). */
        public Event.GateOutcome report() {
            boolean failed = verdict != null && !verdict.passed();
            return new Event.GateOutcome(changeSet.id(), outcome(), verdict == null ? List.of()
                    : verdict.checks().stream().map(Check::report).toList(),
                    failed ? verdict.describe() : null, failed ? rollback == null ? "not-started" : rollback.changeSet().status() : null,
                    verdict == null || !verdict.passed() ? message : null, failed ? List.copyOf(failedValues().keySet()) : null);
        }
    }

    private final Settings settings;
    private final CommandRunner runner;
    private HttpClient http;

    /**
     * @param runner runs the command; the agent gives it a runner of this machine's programs
     *               even with {@code --root}, since the gate checks the operator's service, not a tree
     */
    public HealthGate(Settings settings, CommandRunner runner) {
        this.settings = settings;
        this.runner = runner;
    }

    public Settings settings() {
        return settings;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * Waits {@code settle}, then {@link #check()}.
     *
     * @throws InterruptedException when the wait is interrupted (the agent is stopping); nothing was checked
     */
    public Verdict settleAndCheck() throws InterruptedException {
        if (!settings.settle().isZero()) {
            Thread.sleep(settings.settle().toMillis());
        }
        return check();
    }

    /**
     * Waits, checks, and when the check fails rolls the change set back as
     * {@code chameleon rollback --changeset ID} would (in reverse, through the actuators, the
     * journal marking it {@code rolled-back}, a value someone changed meanwhile left alone), with
     * {@code health gate failed: ...} as the cause in the journal. The caller holds the journal lock.
     */
    public Outcome judge(Engine.Changes changes, ChangeSet cs) {
        Verdict v;
        try {
            v = settleAndCheck();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(cs, null, null, "the agent is stopping: not checked; the change set stays applied "
                    + "('chameleon rollback --changeset " + cs.id() + "' undoes it)");
        }
        if (v.passed()) {
            return new Outcome(cs, v, null, "");
        }
        try {
            Applier.Result rb = changes.rollback(cs, false, "health gate failed: " + v.describe());
            return new Outcome(cs, v, rb, rb.message());
        } catch (EngineException.Failed e) {
            return new Outcome(cs, v, null, "the rollback could not start (" + e.getMessage() + "); the change set stays applied: "
                    + "'chameleon rollback --changeset " + cs.id() + "'");
        }
    }

    /** Runs the command, then (when it passed or there is none) asks the URL. */
    public Verdict check() {
        List<Check> checks = new ArrayList<>();
        if (!settings.command().isEmpty()) {
            checks.add(runCommand());
        }
        if (settings.url() != null && checks.stream().allMatch(Check::passed)) {
            checks.add(askUrl());
        }
        return new Verdict(checks.stream().allMatch(Check::passed), checks);
    }

    private Check runCommand() {
        long t0 = System.nanoTime();
        Command c = new Command("health-gate", settings.command());
        CommandResult r = runner.run(c, settings.timeout());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return switch (r.status()) {
            case RAN -> new Check("command", c.display(), r.exitCode() == 0 ? "passed" : "failed", r.exitCode(), null,
                    excerpt(r.stdout() + " " + r.stderr()), ms);
            case TIMED_OUT -> new Check("command", c.display(), "timeout", null, null,
                    "killed after " + text(settings.timeout()), ms);
            default -> new Check("command", c.display(), "error", null, null, excerpt(r.stderr()), ms);
        };
    }

    private Check askUrl() {
        long t0 = System.nanoTime();
        URI url = settings.url();
        HttpRequest req = HttpRequest.newBuilder(url).timeout(settings.timeout()).header("User-Agent", "chameleon-health-gate")
                .GET().build();
        CompletableFuture<HttpResponse<String>> f = client().sendAsync(req, info -> new Head());
        try {
            HttpResponse<String> resp = f.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
            int status = resp.statusCode();
            return new Check("url", url.toString(), status / 100 == 2 ? "passed" : "failed", null, status, excerpt(resp.body()),
                    millisSince(t0));
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Check("url", url.toString(), "timeout", null, null, "no answer within " + text(settings.timeout()), millisSince(t0));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof HttpTimeoutException) {
                return new Check("url", url.toString(), "timeout", null, null, "no answer within " + text(settings.timeout()),
                        millisSince(t0));
            }
            String why = cause instanceof ConnectException ? "connection refused" : cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            return new Check("url", url.toString(), "error", null, null, excerpt(why), millisSince(t0));
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            return new Check("url", url.toString(), "error", null, null, "interrupted (the agent is stopping)", millisSince(t0));
        }
    }

    private synchronized HttpClient client() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER)
                    .proxy(HttpClient.Builder.NO_PROXY).build();
        }
        return http;
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Keeps the first {@link #BODY_BYTES} of a body and cancels the rest, so a large or endless body costs nothing. */
    private static final class Head implements HttpResponse.BodySubscriber<String> {
        private final CompletableFuture<String> body = new CompletableFuture<>();
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        @Override
        public CompletionStage<String> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                byte[] a = new byte[Math.min(b.remaining(), BODY_BYTES - buf.size())];
                b.get(a);
                buf.write(a, 0, a.length);
            }
            if (buf.size() >= BODY_BYTES) {
                subscription.cancel();
                onComplete();
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            onComplete(); // the status is what counts; keep what came of the body
        }

        @Override
        public void onComplete() {
            body.complete(buf.toString(StandardCharsets.UTF_8));
        }
    }

    /** Blanks collapsed to one space, at most {@link #EXCERPT_CHARS} characters ({@code …} when cut). */
    static String excerpt(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return t.length() <= EXCERPT_CHARS ? t : t.substring(0, EXCERPT_CHARS - 1) + "…";
    }

    // --- validation, shared by the config file and the command-line flags ---

    /** {@code 30s}, {@code 500ms}, {@code 5m}: the largest unit that divides it. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** What is wrong with a timeout, or empty. */
    public static Optional<String> timeoutProblem(Duration d) {
        if (d == null || d.isZero() || d.isNegative() || d.compareTo(MAX_WAIT) > 0) {
            return Optional.of("must be more than 0 and at most " + text(MAX_WAIT));
        }
        return Optional.empty();
    }

    /** What is wrong with a settle time, or empty. */
    public static Optional<String> settleProblem(Duration d) {
        if (d == null || d.isNegative() || d.compareTo(MAX_WAIT) > 0) {
            return Optional.of("must be from 0s to " + text(MAX_WAIT));
        }
        return Optional.empty();
    }

    /**
     * What is wrong with word {@code index} of the command, or empty: no word may be empty; the
     * first is the program, an absolute path to an executable file (there is no shell and no
     * {@code PATH} search, so the same program runs whatever the agent's environment).
     */
    public static Optional<String> wordProblem(int index, String word) {
        if (word == null || word.isEmpty()) {
            return Optional.of("is empty (each word is one argument, without a shell)");
        }
        if (index > 0) {
            return Optional.empty();
        }
        if (!word.startsWith("/")) {
            return Optional.of("'" + word + "' must be an absolute path: the command runs without a shell and without a PATH search"
                    + " (for shell syntax: [/bin/sh, -c, '...'])");
        }
        Path p = Path.of(word);
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            return Optional.of("'" + word + "' is not an executable file");
        }
        return Optional.empty();
    }

    /**
     * What is wrong with a gate URL, or empty: it must be {@code http://} (no TLS on loopback) and
     * its host an address literal in {@code 127.0.0.0/8} or {@code [::1]}; a name, even
     * {@code localhost}, is refused because what it resolves to can change.
     */
    public static Optional<String> urlProblem(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            return Optional.of("'" + text + "' is not a URL: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (scheme.equals("https")) {
            return Optional.of("'" + text + "': https is not supported; the gate only asks loopback, use http://");
        }
        if (!scheme.equals("http")) {
            return Optional.of("'" + text + "' must start with http:// (a URL on loopback: http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH)");
        }
        String host = u.getHost();
        if (host == null) {
            return Optional.of("'" + text + "' has no host (say http://127.0.0.1:PORT/PATH)");
        }
        if (!loopbackLiteral(host)) {
            return Optional.of("'" + text + "': host " + host + " is not a loopback address; the gate only asks this machine "
                    + "(127.0.0.0/8 or [::1], as a number: a name could resolve elsewhere)");
        }
        if (u.getPort() > 65535) {
            return Optional.of("'" + text + "': port " + u.getPort() + " is out of range (1-65535)");
        }
        return Optional.empty();
    }

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private static boolean loopbackLiteral(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        Matcher v4 = IPV4.matcher(h);
        if (v4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(v4.group(i)) > 255) {
                    return false;
                }
            }
        } else if (!h.contains(":")) {
            return false; // a name
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress(); // a literal: no name lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
