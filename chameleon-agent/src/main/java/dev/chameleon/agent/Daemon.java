package dev.chameleon.agent;

import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.MetricsListen;
import dev.chameleon.agent.loop.MetricsServer;
import dev.chameleon.agent.loop.Triggers;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.event.Event;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.agent.fleet.FleetFiles;
import dev.chameleon.agent.fleet.FleetLink;
import dev.chameleon.agent.fleet.ServerClient;
import dev.chameleon.agent.fleet.ServerCredential;
import dev.chameleon.policy.PolicyError;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import dev.chameleon.agent.tuning.AssignedTunings;
import dev.chameleon.engine.Pass;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The daemon ({@code chameleon run}): one agent per state folder, its control socket, triggers
 * (kernel uevents, policy folders, SIGHUP), events, optional metrics and health gate, and the
 * {@link Agent} loop on an {@link Engine} built from an {@link AgentConfig}. On SIGHUP it asks for
 * the configuration again and builds a new engine from it; when either fails, the running
 * configuration and engine stay whole and an error event says why.
 */
public final class Daemon {
    private final AgentConfig config;
    /** How long a stop (SIGTERM) waits for a pass under way to end before the agent exits anyway. */
    static final java.time.Duration STOP_WAIT = java.time.Duration.ofSeconds(5);
    /** How long a stop waits for a tuning run to undo its trial under way (its measurement ends first). */
    static final java.time.Duration TUNING_STOP_WAIT = java.time.Duration.ofSeconds(30);

    private final PrintWriter out;
    private final Supplier<AgentConfig> reload;
    private final Function<String, String> names;
    private Function<Served, Function<byte[], byte[]>> commands;
    private FleetLink.Timing fleetTiming = FleetLink.Timing.standard();
    private volatile FleetLink fleetLink;

    /**
     * @param config the configuration to start with
     * @param out    where log lines and notices go
     * @param reload reads the configuration again (SIGHUP); throws {@link EngineException} for one that does not read
     * @param names  how the caller names engine settings in messages ({@code stateDir} → {@code --state-dir})
     */
    public Daemon(AgentConfig config, PrintWriter out, Supplier<AgentConfig> reload, Function<String, String> names) {
        this.config = Objects.requireNonNull(config);
        this.out = out;
        this.reload = reload;
        this.names = names;
    }

    /** The control-plane link's waits and backoffs ({@link FleetLink.Timing#standard()} unless a test shortens them). */
    public Daemon fleetTiming(FleetLink.Timing t) {
        fleetTiming = Objects.requireNonNull(t);
        return this;
    }

    /** The running agent's link to its server (null before the start or without a server), for tests and status. */
    public FleetLink fleetLink() {
        return fleetLink;
    }

    /**
     * Answers command-line requests on the control socket ({@code chameleon facts}, {@code plan},
     * ... asking the running agent) with the handler {@code commands} makes from what the agent
     * lends ({@link Served}). Without it such requests get an error document and clients answer
     * without the agent.
     */
    public Daemon commands(Function<Served, Function<byte[], byte[]>> commands) {
        this.commands = commands;
        return this;
    }

    /**
     * Runs until stopped (SIGTERM, an interrupt) or {@code maxPasses}; stopping changes nothing on the machine.
     *
     * @throws EngineException.BadInput the socket path is too long or holds something else; policies do not compile
     * @throws EngineException.Refused  not root for apply; another agent holds the state folder or answers on the socket
     * @throws EngineException.Failed   the metrics address cannot be bound
     */
    public void run() throws InterruptedException, IOException {
        Engine engine = Engine.of(config.engine());
        if (config.apply()) {
            engine.requireRoot();
        }
        Path state = engine.stateFolder().path();
        Path sock = config.socket() != null ? config.socket() : state.resolve("agent.sock");
        if (sock.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
            throw new EngineException.BadInput("socket", " " + sock + ": too long for a Unix socket (at most 107 bytes)");
        }
        try (AutoCloseable agentLock = engine.stateFolder().agentLock()) {
            try {
                ControlSocket.refuseIfAnswered(sock); // before recovery or anything else
            } catch (ControlSocket.InUse e) {
                throw new EngineException.Refused(e.getMessage());
            } catch (ControlSocket.NotASocket e) {
                throw new EngineException.BadInput("socket", ": " + e.getMessage());
            }
            run(engine, state, sock);
        } catch (EngineException | InterruptedException | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /**
     * Before the first pass: in apply mode, what a crashed run left unfinished is undone and
     * printed, and each trial a killed tuning run left applied is rolled back and reported as a
     * {@code notice} event (and its log line); in plan mode such a trial is only reported.
     */
    private void recoverAtStart(Engine engine, EventLog events) {
        if (config.apply()) {
            dev.chameleon.engine.Recovery r;
            try (Engine.Changes changes = engine.changes()) {
                r = changes.recover();
            }
            new dev.chameleon.engine.Recovery(r.unreadable(), r.recovered(), List.of()).lines().forEach(out::println);
            out.flush();
            r.trials().forEach(t -> events.emit(new Event.Notice("recovery: " + t.line())));
        } else {
            // the suggested commands keep the agent's --root/--state-dir/policies: without them they would act elsewhere
            String scope = config.engine().scopeOptions();
            engine.interruptedTrials().forEach(cs -> events.emit(new Event.Notice("change set " + cs.id() + " was left applied by an "
                    + "interrupted tuning run (" + cs.trigger() + "); the agent in plan mode leaves it: 'chameleon apply --yes" + scope
                    + "', 'chameleon tune --recover" + config.engine().machineOptions() + "' or the agent in apply mode undoes it")));
        }
    }

    /** The agent's life, with the state folder's lock held. */
    private void run(Engine engine, Path state, Path sock) throws Exception {
        Clock clock = Clock.systemUTC();
        EventLog events = new EventLog(config.eventsFile() != null ? config.eventsFile() : state.resolve("events.jsonl"), out,
                config.jsonLog(), clock);
        AtomicReference<Agent> running = new AtomicReference<>();
        FleetLink link = link(engine, state, events, running);
        if (link != null) {
            // the hardware check and, with a migration target, readiness: sent to the control plane as advice
            link.adviseWith(p -> {
                Agent a = running.get();
                return dev.chameleon.engine.hardware.Advice.of((a == null ? engine : a.engine()).host(), p.facts());
            });
        }
        // compiled once here (bad policies fail the start) and handed to the first pass; reloads compile again
        // the policies last compiled and the fingerprint of their sources: clients are served them while the files are unchanged
        AtomicReference<Served.Loaded> loaded = new AtomicReference<>(load(engine, link));
        AtomicReference<PolicySet> firstLoad = new AtomicReference<>(loaded.get().set());
        recoverAtStart(engine, events);
        Agent agent = new Agent(engine, e -> {
            PolicySet first = firstLoad.getAndSet(null);
            if (first != null) {
                return first;
            }
            Served.Loaded l = load(e, link);
            loaded.set(l);
            return l.set();
        }, settings(config), events, clock, RandomGenerator.getDefault());
        running.set(agent);
        // the gate checks the operator's service on this machine, also with --root (a tree has no services)
        HealthGate agentGate = new HealthGate(config.healthGate(), new HostCommandRunner());
        agent.healthGate(agentGate);
        // assigned Tunings (docs/tuning.md): run after a pass in apply mode, one at a time, their knobs held out of the reconcile;
        // in plan mode never run, and said so (a tuning event, a status line)
        AssignedTunings tunings = new AssignedTunings(state, events::emit, line -> {
            out.println(clock.instant() + " " + line);
            out.flush();
        }, new HostCommandRunner(), Clock.systemDefaultZone());
        agent.holdOut(tunings::heldOut);
        agent.tuningStatus(tunings::statusLines);
        java.util.function.BiConsumer<Pass, Event.PassSummary> tune = (p, s) -> {
            if (p != null && "apply".equals(s.mode())) {
                tunings.passed(agent.engine(), p.facts(), loaded.get().tunings(), agentGate);
            } else if ("plan".equals(s.mode())) {
                tunings.planMode(loaded.get().tunings()); // never run here: a trial changes the machine; said once, and in status
            }
        };
        agent.afterPass(tune);
        if (link != null) {
            events.listener(link::event);
            tunings.onResult(r -> link.proposal(clock.instant(), r)); // offered to similar VMs by the control plane
            agent.afterPass((p, s) -> {
                link.passed(p, s);
                tune.accept(p, s);
            });
            link.start();
        }
        Path eventsAt = events.file();
        agent.onReconfigure(() -> reconfigure(state, sock, eventsAt));
        try (Triggers triggers = new Triggers(agent.queue(), msg -> events.emit(new Event.Notice(msg)));
             ControlSocket control = ControlSocket.open(sock, agent::status,
                     commands == null ? null : commands.apply(new Served(agent, loaded)));
             MetricsServer served = serve(config.metrics(), agent)) {
            // a --root tree is not this kernel: its hotplug is not ours to hear
            if (config.uevents() && engine.host().root().isLive()) {
                agent.ueventSource(triggers.uevents(true));
            }
            triggers.policyFolders(engine.policyFolders());
            triggers.sighup();
            Thread main = Thread.currentThread();
            Thread hook = new Thread(() -> {
                // a tuning run undoes its trial under way first (bounded), then
                // a pass under way ends (bounded), so its reports are queued with its event
                // and no file write of it is cut by the interrupt below
                tunings.stop(TUNING_STOP_WAIT);
                agent.awaitPass(STOP_WAIT);
                events.emit(new Event.Stop("stopping; the machine is left as it is"));
                main.interrupt();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            events.emit(new Event.Start(config.mode(), config.interval().toString(), state.toString(), sock.toString(),
                    ProcessHandle.current().pid(), served == null ? null : "http://" + MetricsListen.format(served.address()) + "/metrics"));
            try {
                agent.loop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                tunings.stop(TUNING_STOP_WAIT); // the end of --max-passes: a tuning run under way undoes its trial and ends
                if (link != null) {
                    // what is still queued stays on disk and goes at the next start
                    link.close(Thread.currentThread().isInterrupted() ? Duration.ZERO : Duration.ofSeconds(5));
                }
            }
            try {
                if (Runtime.getRuntime().removeShutdownHook(hook)) {
                    // the end of --max-passes: the same stop event a SIGTERM writes
                    events.emit(new Event.Stop("stopping; the machine is left as it is"));
                }
            } catch (IllegalStateException e) {
                // shutting down already: the hook writes it
            }
        }
    }

    /**
     * The policies: the engine's sources (the pack, policies.d, the configured folders) and then the
     * running bundle's policies (docs/control-plane.md#the-agent-side), compiled together.
     */
    static Served.Loaded load(Engine e, FleetLink link) {
        return Served.Loaded.load(e, link == null ? List.of() : link.sources());
    }

    /**
     * The link to the control plane when a server is configured: the credential of
     * {@code chameleon enroll}, the last good bundle from disk, the outbox.
     *
     * @throws EngineException.BadInput a server is configured but the agent never enrolled, or
     *                                  enrolled with another server, or its credential is unusable
     */
    private FleetLink link(Engine engine, Path state, EventLog events, AtomicReference<Agent> running) throws IOException {
        URI server = config.server();
        if (server == null) {
            return null;
        }
        FleetFiles files = new FleetFiles(state);
        ServerCredential cred;
        try {
            cred = ServerCredential.read(files);
        } catch (ServerCredential.Unusable e) {
            throw new EngineException.BadInput("server", " " + server + ": " + e.getMessage());
        }
        if (cred == null) {
            throw new EngineException.BadInput("server", " " + server + ": this agent is not enrolled (no " + files.credential()
                    + "); run 'chameleon enroll " + server + " --token TOKEN' first");
        }
        if (!sameServer(cred.server(), server)) {
            throw new EngineException.BadInput("server", " " + server + ": this agent is enrolled with " + cred.server()
                    + "; enroll again ('chameleon enroll " + server + " --token TOKEN --force') or configure that server");
        }
        FleetLink link = new FleetLink(cred, files, new ServerClient(server, dev.chameleon.agent.fleet.AgentVersion.get()), sources -> {
            Agent a = running.get();
            Engine e = a == null ? engine : a.engine();
            List<PolicyError> errors = new ArrayList<>();
            List<PolicySet.Source> all = new ArrayList<>(e.policySources(errors));
            all.addAll(sources);
            Engine.compile(all, errors);
        }, t -> {
            Agent a = running.get();
            if (a != null) {
                a.queue().add(t);
            }
        }, events::emit, Clock.systemUTC(), RandomGenerator.getDefault(), fleetTiming, 2000, 16L << 20);
        link.loadLastGood();
        fleetLink = link;
        return link;
    }

    static boolean sameServer(URI a, URI b) {
        return a.toString().replaceAll("/+$", "").equals(b.toString().replaceAll("/+$", ""));
    }

    static Agent.Settings settings(AgentConfig c) {
        return new Agent.Settings(c.apply(), c.interval(), c.splay(), c.debounce(), c.maxPasses(), c.flapLimit(), c.flapWindow());
    }

    /**
     * Starts the metrics endpoint on {@code at}; null when {@code at} is null. Micrometer is loaded
     * only here, so an agent without metrics does not carry it.
     */
    static MetricsServer serve(InetSocketAddress at, Agent agent) {
        if (at == null) {
            return null;
        }
        try {
            return MetricsServer.start(at, agent.metrics(), SysRoot.live());
        } catch (IOException e) {
            throw new EngineException.Failed("metrics: " + e.getMessage());
        }
    }

    /**
     * SIGHUP: the configuration read again and a new engine built from it. Mode, interval, splay,
     * anti-flap, health gate, policy folders and the built-in pack take effect now; the state
     * folder, socket, events file, metrics, cloud metadata and log format only at a restart (a
     * notice says so). A configuration that does not read, asks for apply without root, or names
     * policies that do not compile throws, and the running one stays.
     */
    private Agent.Reconfiguration reconfigure(Path state, Path sock, Path eventsAt) {
        try {
            AgentConfig next = reload.get();
            Engine engine = Engine.of(next.engine());
            if (next.apply()) {
                engine.requireRoot();
            }
            HealthGate g = new HealthGate(next.healthGate(), new HostCommandRunner());
            engine.loadPolicies();   // fails here, before anything changes, when the new folders do not compile
            List<String> later = new ArrayList<>();
            if (!engine.stateFolder().path().equals(state)) {
                later.add("stateDir");
            }
            if (!(next.socket() != null ? next.socket() : state.resolve("agent.sock")).equals(sock)) {
                later.add("socket");
            }
            if (next.eventsFile() != null && !next.eventsFile().equals(eventsAt)) {
                later.add("events.file");
            }
            if (!Objects.equals(next.metrics(), config.metrics())) {
                later.add("metrics");
            }
            if (!next.engine().metadata().equals(config.engine().metadata())) {
                later.add("cloudMetadata");
            }
            if (!Objects.equals(next.server(), config.server())) {
                later.add("server");
            }
            if (next.jsonLog() != config.jsonLog()) {
                later.add("log.format");
            }
            if (!later.isEmpty()) {
                out.println("chameleon: notice: " + String.join(", ", later) + " changed in " + next.configFile()
                        + "; that takes effect when the agent restarts");
            }
            if (next.apply()) {
                // switching to apply: finish or undo what an earlier run left unfinished, as a start in apply mode does
                try (Engine.Changes changes = engine.changes()) {
                    changes.recover().lines().forEach(out::println);
                }
            }
            return new Agent.Reconfiguration(settings(next), g, engine);
        } catch (EngineException.BadInput e) {
            throw new EngineException.BadInput(e.describe(names));
        }
    }
}
