package dev.chameleon.agent.tuning;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.policy.Tuning;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes one measurement of a {@link Tuning.Probe}: runs the command (no shell, killed with its
 * children after the timeout, through the same {@link CommandRunner} as the health gate) or GETs
 * the loopback URL (no proxy, no redirects, at most {@value #MAX_BODY} bytes read), and reads the
 * number: group 1 of the pattern's last match, else the output's last number; for a Prometheus
 * probe, the value of the first sample whose name and labels match (a text exposition, version
 * 0.0.4 or OpenMetrics).
 */
public final class Probe {
    static final int MAX_BODY = 4 << 20;
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,?");

    /** A measurement that could not be taken: the command failed, the URL did not answer, no number was found. */
    public static final class Failed extends Exception {
        public Failed(String message) {
            super(message);
        }
    }

    private final Tuning.Probe probe;
    private final CommandRunner runner;
    private HttpClient http;

    /**
     * @param probe  what to measure
     * @param runner runs the command: this machine's programs (even with {@code --root}: the probe measures the workload)
     * @throws IllegalArgumentException the URL is not a loopback address literal, or the program is not an executable file
     */
    public Probe(Tuning.Probe probe, CommandRunner runner) {
        this.probe = probe;
        this.runner = runner;
        if (probe.url() != null) {
            HealthGate.urlProblem(probe.url()).ifPresent(p -> {
                throw new IllegalArgumentException("url " + p);
            });
        }
        if (!probe.command().isEmpty()) {
            HealthGate.wordProblem(0, probe.command().get(0)).ifPresent(p -> {
                throw new IllegalArgumentException("command " + p);
            });
        }
    }

    /** One measurement, as a number in the probe's own unit. */
    public double measure() throws Failed, InterruptedException {
        return switch (probe.type()) {
            case COMMAND -> fromText(command(), probe.pattern());
            case URL -> fromText(get(), probe.pattern());
            case PROMETHEUS -> prometheus(get(), probe.metric());
        };
    }

    private String command() throws Failed {
        Command c = new Command("tune-probe", probe.command());
        CommandResult r = runner.run(c, probe.timeout());
        return switch (r.status()) {
            case RAN -> {
                if (r.exitCode() != 0) {
                    throw new Failed(c.display() + ": exit " + r.exitCode() + excerpt(r.stderr().isBlank() ? r.stdout() : r.stderr()));
                }
                yield r.stdout();
            }
            case TIMED_OUT -> throw new Failed(c.display() + ": no answer within " + probe.timeout().toSeconds() + " s (killed)");
            default -> throw new Failed(c.display() + ": could not run" + excerpt(r.stderr()));
        };
    }

    private String get() throws Failed, InterruptedException {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(probe.timeout()).followRedirects(HttpClient.Redirect.NEVER)
                    .proxy(HttpClient.Builder.NO_PROXY).build();
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create(probe.url())).timeout(probe.timeout())
                .header("User-Agent", "chameleon-tune").GET().build();
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                String body = new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
                if (resp.statusCode() / 100 != 2) {
                    throw new Failed(probe.url() + ": HTTP " + resp.statusCode() + excerpt(body));
                }
                return body;
            }
        } catch (IOException e) {
            throw new Failed(probe.url() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** Group 1 of {@code pattern}'s last match in {@code text}, else its last number. */
    static double fromText(String text, Pattern pattern) throws Failed {
        Matcher m = (pattern != null ? pattern : NUMBER).matcher(text);
        String last = null;
        while (m.find()) {
            last = pattern != null ? m.group(1) : m.group();
        }
        if (last == null) {
            throw new Failed(pattern != null ? "no match of " + pattern.pattern() + " in the output" + excerpt(text)
                    : "no number in the output" + excerpt(text));
        }
        try {
            double v = Double.parseDouble(last.strip());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new Failed("'" + last + "' is not a number");
        }
    }

    /** The value of the first sample named as {@code metric} whose labels include the metric's labels. */
    static double prometheus(String text, String metric) throws Failed {
        int brace = metric.indexOf('{');
        String name = brace < 0 ? metric : metric.substring(0, brace);
        Map<String, String> want = brace < 0 ? Map.of() : labels(metric.substring(brace + 1, metric.lastIndexOf('}')));
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            Map<String, String> have = Map.of();
            if (rest.startsWith("{")) {
                int end = rest.lastIndexOf('}');
                if (end < 0) {
                    continue;
                }
                have = labels(rest.substring(1, end));
                rest = rest.substring(end + 1);
            } else if (!rest.startsWith(" ") && !rest.startsWith("\t")) {
                continue; // a longer name with this prefix
            }
            if (!have.entrySet().containsAll(want.entrySet())) {
                continue;
            }
            String[] parts = rest.strip().split("\\s+");
            try {
                double v = Double.parseDouble(parts[0]);
                if (Double.isFinite(v)) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
            throw new Failed(metric + ": '" + parts[0] + "' is not a finite number");
        }
        throw new Failed(metric + ": no such sample in the exposition");
    }

    private static Map<String, String> labels(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = LABEL.matcher(s);
        while (m.find()) {
            out.put(m.group(1), m.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        return out;
    }

    private static String excerpt(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return t.isEmpty() ? "" : " (" + (t.length() > 200 ? t.substring(0, 199) + "…" : t) + ")";
    }

    /** The probe for people. */
    public String describe() {
        return probe.describe();
    }
}
