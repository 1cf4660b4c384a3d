package dev.chameleon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code chameleon fleet ...}: the operator's commands over the control plane's API
 * (docs/control-plane.md#the-fleet-command): agents, one agent, policy upload, rollouts, the
 * simulation, events; each as a table for people or {@code -o json} (the API's JSON as it is).
 * The server and token come from {@code --server}/{@code --token} or {@code CHAMELEON_SERVER} and
 * {@code CHAMELEON_TOKEN} ({@code --token-file} reads it from a file, never from the command line
 * of a shared machine).
 */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = "Operate the fleet through the control plane's API: agents, show, policies push, rollout, simulate, events, proposals.",
        subcommands = {FleetCommand.Agents.class, FleetCommand.Show.class, FleetCommand.Policies.class, FleetCommand.Rollout.class,
                FleetCommand.Simulate.class, FleetCommand.Events.class, FleetCommand.Proposals.class})
final class FleetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "say what to do: agents, show, policies push, rollout, simulate, events or proposals");
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Where the server is and who asks. */
    static final class Conn {
        @Option(names = "--server", paramLabel = "URL", description = "The control plane (default: $CHAMELEON_SERVER, else http://127.0.0.1:8780).")
        String server;

        @Option(names = "--token", paramLabel = "TOKEN", description = "An API token (cht_...; default: $CHAMELEON_TOKEN).")
        String token;

        @Option(names = "--token-file", paramLabel = "FILE", description = "Read the API token from FILE.")
        Path tokenFile;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json.")
        String output = "table";

        boolean json() {
            if (!output.equals("table") && !output.equals("json")) {
                throw new UserError(ExitCode.BAD_INPUT, "-o " + output + ": say table or json");
            }
            return output.equals("json");
        }

        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();

        URI base() {
            String s = server != null ? server : System.getenv().getOrDefault("CHAMELEON_SERVER", "http://127.0.0.1:8780");
            try {
                return dev.chameleon.agent.fleet.ServerClient.checkUrl(s);
            } catch (IllegalArgumentException e) {
                throw new UserError(ExitCode.BAD_INPUT, "--server " + e.getMessage());
            }
        }

        String token() {
            String t = token;
            if (t == null && tokenFile != null) {
                try {
                    t = Files.readString(tokenFile).strip();
                } catch (NoSuchFileException e) {
                    throw new UserError(ExitCode.BAD_INPUT, "--token-file " + tokenFile + ": no such file");
                } catch (IOException e) {
                    throw new UserError(ExitCode.BAD_INPUT, "--token-file " + tokenFile + ": " + e.getMessage());
                }
            }
            if (t == null) {
                t = System.getenv("CHAMELEON_TOKEN");
            }
            if (t == null || t.isBlank()) {
                throw new UserError(ExitCode.BAD_INPUT, "no API token: give --token, --token-file or set CHAMELEON_TOKEN "
                        + "(the first admin token: chameleon server token create --name NAME)");
            }
            return t;
        }

        /** Calls the API; answers 2xx as JSON, anything else as a UserError with the server's message. */
        JsonNode call(String method, String path, String contentType, String body, Duration timeout) {
            URI base = base();
            String b = base.toString();
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path))
                    .timeout(timeout).header("Authorization", "Bearer " + token()).header("Accept", "application/json");
            if (contentType != null) {
                r.header("Content-Type", contentType);
            }
            r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> resp;
            try {
                resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UserError(ExitCode.FAILED, base + ": cannot reach the server: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError(ExitCode.FAILED, "interrupted");
            }
            JsonNode n;
            try {
                n = resp.body().isEmpty() ? JSON.nullNode() : JSON.readTree(resp.body());
            } catch (IOException e) {
                throw new UserError(ExitCode.FAILED, method + " " + path + ": HTTP " + resp.statusCode() + ", not JSON: "
                        + resp.body().substring(0, Math.min(200, resp.body().length())));
            }
            if (resp.statusCode() / 100 != 2) {
                StringBuilder m = new StringBuilder(method + " " + path + ": HTTP " + resp.statusCode() + ": " + n.path("message").asText(""));
                n.path("errors").forEach(e -> m.append("\n  ").append(e.asText()));
                int code = resp.statusCode() == 401 || resp.statusCode() == 403 ? ExitCode.REFUSED
                        : resp.statusCode() / 100 == 4 ? ExitCode.BAD_INPUT : ExitCode.FAILED;
                throw new UserError(code, m.toString());
            }
            return n;
        }

        JsonNode get(String path) {
            return call("GET", path, null, null, Duration.ofSeconds(60));
        }

        JsonNode post(String path, Object body) {
            try {
                return call("POST", path, "application/json", JSON.writeValueAsString(body), Duration.ofSeconds(60));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static void printJson(PrintWriter out, JsonNode n) {
        try {
            out.println(JSON.writeValueAsString(n));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prints rows as columns padded to their widest cell. */
    static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                sb.append(i == r.size() - 1 ? r.get(i) : String.format("%-" + w[i] + "s  ", r.get(i)));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "-" : n.isTextual() ? n.asText() : n.toString();
    }

    @Command(name = "agents", mixinStandardHelpOptions = true, description = "List agents, optionally those a CEL selector over facts and labels picks.")
    static final class Agents implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Option(names = "--where", paramLabel = "CEL", description = "e.g. 'platform.hypervisor == \"vmware\" && gpus.exists(g, g.vendor == \"nvidia\")'")
        String where;
        @Option(names = "--limit", description = "At most this many (1 to 500, default 100).")
        int limit = 100;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode page = conn.get("/api/v1/agents?limit=" + limit + (where == null ? "" : "&where=" + enc(where)));
            if (conn.json()) {
                printJson(out, page);
                return ExitCode.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode a : page.path("items")) {
                JsonNode p = a.path("platform");
                rows.add(List.of(a.path("id").asText(), a.path("hostname").asText(), p.path("hypervisor").asText("-") + "/"
                        + p.path("cloud").asText("-"), text(a.get("mode")), text(a.get("pendingChanges")), text(a.get("drift")),
                        text(a.get("failingSensors")),
                        a.path("bundleVersion").asText() + (a.path("runningBundle").isNull() ? "" : " (runs " + a.path("runningBundle").asText() + ")"),
                        text(a.get("lastSeen"))));
            }
            // FAILING SENSORS: sensors of the agent's last facts that failed, timed out or met problems (meta.sensors), as the
            // console shows them; "-" when the agent sent no facts yet
            table(out, List.of("ID", "HOSTNAME", "PLATFORM", "MODE", "PENDING", "DRIFT", "FAILING SENSORS", "BUNDLE", "LAST SEEN"), rows);
            out.println(page.path("total").asLong() + " agent(s)" + (page.path("undecided").asLong() > 0
                    ? ", " + page.path("undecided").asLong() + " undecided (a fact the selector reads is absent there)" : "")
                    + (page.path("next").isNull() || page.path("next").isMissingNode() ? "" : "; more after " + page.path("next").asText()));
            return ExitCode.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One agent: labels, platform, last seen, mode, pending changes, drift, failing sensors, bundle, its plan.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Parameters(paramLabel = "AGENT", description = "The agent's id (ag-...).")
        String id;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode a = conn.get("/api/v1/agents/" + enc(id));
            JsonNode plan = null;
            try {
                plan = conn.get("/api/v1/agents/" + enc(id) + "/plan");
            } catch (UserError e) {
                // no plan reported yet
            }
            if (conn.json()) {
                var m = JSON.createObjectNode();
                m.set("agent", a);
                m.set("plan", plan == null ? JSON.nullNode() : plan);
                printJson(out, m);
                return ExitCode.OK;
            }
            for (String k : List.of("id", "hostname", "agentVersion", "labels", "platform", "enrolledAt", "lastSeen", "mode", "pendingChanges",
                    "drift", "failingSensors", "bundleVersion", "runningBundle", "factsAt")) {
                out.printf("%-15s %s%n", k, text(a.get(k)));
            }
            if (plan != null) {
                out.println("plan (" + text(plan.get("at")) + "):");
                for (JsonNode e : plan.path("document").path("entries")) {
                    if (!e.path("action").asText().equals("ok")) {
                        out.println("  " + e.path("action").asText() + " " + e.path("key").asText() + ": " + e.path("current").asText() + " -> "
                                + (e.hasNonNull("target") ? e.path("target").asText() : e.path("desired").asText()) + " (policy "
                                + e.path("policy").asText() + ")");
                    }
                }
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "proposals", mixinStandardHelpOptions = true,
            description = {"Proposals of learned tuning agents made (an assigned Tuning), for the platform of an agent or a fingerprint key,",
                    "newest first. --yaml prints the newest one's policy, ready for 'fleet policies push NAME FILE'."})
    static final class Proposals implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Option(names = "--agent", paramLabel = "AGENT", description = "Proposals for this agent's platform (from the facts it last reported).")
        String agent;
        @Option(names = "--fingerprint", paramLabel = "KEY", description = "Proposals for this fingerprint key, e.g. 'hypervisor=kvm cloud=none memory<=8GiB'.")
        String fingerprint;
        @Option(names = "--yaml", description = "Print only the newest proposal's policy (YAML).")
        boolean yaml;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if ((agent == null) == (fingerprint == null)) {
                throw new UserError(ExitCode.BAD_INPUT, "give --agent AGENT or --fingerprint KEY (one of them)");
            }
            JsonNode list = conn.get("/api/v1/tuning/proposals?" + (agent != null ? "agent=" + enc(agent) : "fingerprint=" + enc(fingerprint)));
            if (yaml) {
                if (list.isEmpty()) {
                    // nothing to print is not a refusal (exit 4 is 401/403): a plain failure, saying why
                    throw new UserError(ExitCode.FAILED, "no proposal for " + (agent != null ? "the platform of agent " + agent : fingerprint));
                }
                String policy = list.get(0).path("proposal").asText("");
                if (policy.isBlank()) {
                    throw new UserError(ExitCode.FAILED, "the newest proposal (from agent " + list.get(0).path("agentId").asText()
                            + ") carries no policy text");
                }
                out.print(policy.endsWith("\n") ? policy : policy + "\n");
                out.flush(); // print() does not flush picocli's writer; the process may exit before it would
                return ExitCode.OK;
            }
            if (conn.json()) {
                printJson(out, list);
                return ExitCode.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode p : list) {
                JsonNode g = p.path("gain");
                rows.add(List.of(p.path("agentId").asText(), text(p.get("tuning")), g.isObject() ? String.format(java.util.Locale.ROOT,
                        "%+.1f%% (95%% CI %+.1f%% .. %+.1f%%)", g.path("percent").asDouble(), g.path("ci95Low").asDouble(),
                        g.path("ci95High").asDouble()) : "-", text(p.get("fingerprintKey")), text(p.get("at"))));
            }
            table(out, List.of("AGENT", "TUNING", "GAIN", "PLATFORM", "AT"), rows);
            out.println(list.size() + " proposal(s); --yaml prints the newest one's policy for 'fleet policies push'");
            return ExitCode.OK;
        }
    }

    @Command(name = "policies", mixinStandardHelpOptions = true, description = "Policy sets: push a new version.",
            subcommands = {Push.class})
    static final class Policies implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "say what to do: push");
        }
    }

    @Command(name = "push", mixinStandardHelpOptions = true, description = "Upload FILE (YAML) as the next version of policy set NAME; "
            + "compiled by the server with the built-in pack first, nothing stored on error.")
    static final class Push implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "FILE")
        Path file;
        @Option(names = "--comment", description = "Why, for the history.")
        String comment;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            String yaml = readFile(file);
            JsonNode v = conn.call("PUT", "/api/v1/policies/" + enc(name) + (comment == null ? "" : "?comment=" + enc(comment)),
                    "application/yaml", yaml, Duration.ofSeconds(60));
            if (conn.json()) {
                printJson(out, v);
            } else {
                out.println(v.path("unchanged").asBoolean() ? name + ": unchanged (version " + v.path("version").asText() + ")"
                        : name + ": version " + v.path("version").asText() + " stored");
            }
            return ExitCode.OK;
        }
    }

    static String readFile(Path f) {
        try {
            return Files.readString(f);
        } catch (NoSuchFileException e) {
            throw new UserError(ExitCode.BAD_INPUT, f + ": no such file");
        } catch (IOException e) {
            throw new UserError(ExitCode.BAD_INPUT, f + ": cannot read: " + e.getMessage());
        }
    }

    /** {@code rollout start|advance|pause|resume|rollback|show}. */
    @Command(name = "rollout", mixinStandardHelpOptions = true,
            description = {"Roll a policy set version out through an assignment:",
                    "  rollout start ASSIGNMENT --version N [--canary AGENT]... [--canary-selector CEL] [--steps 10,50,100] [--interval 1h]",
                    "  rollout advance|pause|resume|rollback|show ROLLOUT"})
    static final class Rollout implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Parameters(index = "0", paramLabel = "ACTION", description = "start, advance, pause, resume, rollback or show")
        String action;
        @Parameters(index = "1", paramLabel = "ASSIGNMENT|ROLLOUT")
        String target;
        @Option(names = "--version", description = "start: the policy set version to roll out")
        Integer version;
        @Option(names = "--canary", paramLabel = "AGENT", description = "start: an agent that gets it first (repeatable)")
        List<String> canaries = new ArrayList<>();
        @Option(names = "--canary-selector", paramLabel = "CEL", description = "start: agents that get it first, by selector")
        String canarySelector;
        @Option(names = "--steps", split = ",", paramLabel = "PERCENT", description = "start: rising percentages ending at 100 (default 100)")
        List<Integer> steps = new ArrayList<>();
        @Option(names = "--interval", paramLabel = "DURATION", description = "start: advance on its own after this long per step (60s, 1h)")
        String interval;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            JsonNode r;
            switch (action) {
                case "start" -> {
                    if (version == null) {
                        throw new UserError(ExitCode.BAD_INPUT, "rollout start needs --version N");
                    }
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("version", version);
                    if (!canaries.isEmpty()) {
                        body.put("canaryAgents", canaries);
                    }
                    if (canarySelector != null) {
                        body.put("canarySelector", canarySelector);
                    }
                    if (!steps.isEmpty()) {
                        body.put("steps", steps);
                    }
                    if (interval != null) {
                        body.put("intervalSeconds", dev.chameleon.agent.AgentConfig.duration(interval).orElseThrow(() ->
                                new UserError(ExitCode.BAD_INPUT, "--interval " + interval + ": not a duration (60s, 5m, 1h)")).toSeconds());
                    }
                    r = conn.post("/api/v1/assignments/" + enc(target) + "/rollouts", body);
                }
                case "advance", "pause", "resume", "rollback" -> r = conn.post("/api/v1/rollouts/" + enc(target) + "/" + action, Map.of());
                case "show" -> r = conn.get("/api/v1/rollouts/" + enc(target));
                default -> throw new UserError(ExitCode.BAD_INPUT, "rollout " + action + ": say start, advance, pause, resume, rollback or show");
            }
            if (conn.json()) {
                printJson(out, r);
            } else {
                out.println("rollout " + r.path("id").asText() + " of " + r.path("assignment").asText() + ": version "
                        + text(r.get("fromVersion")) + " -> " + r.path("toVersion").asText() + ", " + r.path("state").asText() + ", stage "
                        + r.path("stage").asText() + " (" + r.path("percent").asText() + " %), " + text(r.get("includedAgents"))
                        + " agent(s) included");
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "simulate", mixinStandardHelpOptions = true,
            description = "What a candidate policy set (YAML FILE) would change on every agent, from each agent's last facts and "
                    + "current values, decided by the engine the agents run; nothing is stored.")
    static final class Simulate implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Parameters(paramLabel = "FILE")
        Path file;
        @Option(names = "--name", description = "The candidate's name (its file name in errors; default: the file's name without .yaml).")
        String name;
        @Option(names = "--where", paramLabel = "CEL", description = "Only the agents this selector picks.")
        String where;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            String yaml = readFile(file);
            String n = name != null ? name : file.getFileName().toString().replaceAll("\\.ya?ml$", "");
            JsonNode r = conn.call("POST", "/api/v1/simulate?name=" + enc(n) + (where == null ? "" : "&where=" + enc(where)),
                    "application/yaml", yaml, Duration.ofSeconds(120));
            if (conn.json()) {
                printJson(out, r);
                return ExitCode.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode a : r.path("results")) {
                for (JsonNode c : a.path("changes")) {
                    rows.add(List.of(a.path("agentId").asText(), a.path("hostname").asText(), "change", c.path("key").asText(),
                            c.path("from").asText() + " -> " + c.path("to").asText()));
                }
                for (JsonNode u : a.path("unknown")) {
                    rows.add(List.of(a.path("agentId").asText(), a.path("hostname").asText(), "unknown", u.path("key").asText(),
                            u.path("note").asText("")));
                }
                for (JsonNode u : a.path("undecidable")) {
                    rows.add(List.of(a.path("agentId").asText(), a.path("hostname").asText(), "undecidable", "-", u.asText()));
                }
            }
            table(out, List.of("AGENT", "HOSTNAME", "WHAT", "SETTING", "FROM -> TO / WHY"), rows);
            out.println(r.path("agents").asInt() + " agent(s) simulated: " + r.path("changing").asInt() + " would change ("
                    + r.path("changes").asLong() + " setting(s)), " + r.path("unchanged").asInt() + " unchanged, " + r.path("undecided").asInt()
                    + " not fully decidable, " + r.path("noFacts").asInt() + " without facts");
            return ExitCode.OK;
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true, description = "The fleet's events, oldest first; --follow keeps waiting for more.")
    static final class Events implements Callable<Integer> {
        @Mixin
        Conn conn;
        @Option(names = "--after", description = "Only events after this sequence number (default 0).")
        long after;
        @Option(names = "--agent", description = "Only this agent's events.")
        String agent;
        @Option(names = "--follow", description = "Keep waiting for new events (long polls of 30 s) until interrupted.")
        boolean follow;
        @Option(names = "--limit", description = "At most this many per request (1 to 500, default 100).")
        int limit = 100;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            long seq = after;
            do {
                JsonNode list = conn.call("GET", "/api/v1/events?after=" + seq + "&limit=" + limit + (agent == null ? "" : "&agent=" + enc(agent))
                        + (follow ? "&wait=30" : ""), null, null, Duration.ofSeconds(90));
                for (JsonNode e : list) {
                    seq = Math.max(seq, e.path("seq").asLong());
                    if (conn.json()) {
                        out.println(e.toString());
                    } else {
                        out.println(e.path("seq").asText() + "  " + e.path("at").asText() + "  " + e.path("kind").asText() + "  "
                                + e.path("summary").asText());
                    }
                }
                out.flush();
                if (!follow && list.size() < limit) {
                    break;
                }
            } while (!Thread.currentThread().isInterrupted());
            return ExitCode.OK;
        }
    }
}
