package dev.chameleon.cli;

import dev.chameleon.agent.Served;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineConfig;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.SensorSuite;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where {@code facts}, {@code detect}, {@code plan}, {@code explain} and {@code status} take their
 * engine, facts and policies from: built, sensed and compiled in this process (the standalone
 * path), or, when the running agent answers a client ({@link AgentClient}), lent by the agent
 * ({@link Served}). The commands run the same code either way, so both print the same bytes.
 *
 * <p>The agent answers only what it can answer as the standalone path would; otherwise it
 * declines and the client answers alone: the command's options must describe the agent's own
 * engine configuration (for {@code facts} and {@code detect} its machine and sensors; for
 * {@code plan} and {@code explain} all of it: policies and state folder too), as given and as
 * resolved against each one's working folder; its policy sources must be those it compiled; and
 * the command line must parse. Its facts are at most {@link Served#MAX_AGE} old ({@code --refresh}:
 * read again); {@code facts SENSOR...} senses those sensors afresh in the agent.
 */
final class Answering {
    /** The agent cannot answer this as the standalone path would. */
    static final class Decline extends RuntimeException {
        Decline(String why) {
            super(why, null, false, false);
        }
    }

    /** A client's request being answered on this thread (the agent's control socket thread). */
    private record Context(Served agent, Path cwd, String[] declined) {
    }

    private static final ThreadLocal<Context> CURRENT = new ThreadLocal<>();

    private Answering() {
    }

    /** True while the agent answers a client on this thread. */
    static boolean served() {
        return CURRENT.get() != null;
    }

    /** Records that the agent declines (the command then returns any code: the answer is dropped). */
    static void decline(String why) {
        Context c = CURRENT.get();
        if (c != null && c.declined()[0] == null) {
            c.declined()[0] = why;
        }
    }

    /**
     * The engine a command runs on. {@code whole}: the full configuration must be the agent's
     * (plan, explain), else its machine and sensors (facts, detect).
     */
    static Engine engine(HostOptions host, PolicyOptions policies, StateOptions state, boolean whole) {
        Context c = CURRENT.get();
        if (c == null) {
            return host.engine(policies, state);
        }
        EngineConfig asked;
        try {
            asked = host.config(policies, state);
        } catch (RuntimeException e) {
            throw new Decline("options the agent does not run with: " + e.getMessage());
        }
        Engine agent = c.agent().engine();
        EngineConfig mine = agent.config();
        boolean same = whole ? asked.equals(mine) && resolved(asked, c.cwd()).equals(resolved(mine, Path.of("").toAbsolutePath()))
                : sensing(asked).equals(sensing(mine)) && sensing(resolved(asked, c.cwd())).equals(sensing(resolved(mine, Path.of("").toAbsolutePath())));
        if (!same) {
            throw new Decline("the agent runs with other options");
        }
        return agent;
    }

    /** The facts: the agent's (all sensors, {@code only} empty), else sensed here. */
    static FactSet facts(Engine engine, SensorSuite suite, boolean all, boolean refresh) {
        Context c = CURRENT.get();
        if (c != null && all) {
            return c.agent().facts(refresh);
        }
        if (c != null) {
            return c.agent().sense(suite); // afresh, the host sensor's deltas against the agent's samples
        }
        return suite.collect(engine.host(), engine.freshCache());
    }

    /** The compiled policies: the agent's while their sources are unchanged, else compiled here. */
    static PolicySet policies(Engine engine) {
        Context c = CURRENT.get();
        if (c == null) {
            return engine.loadPolicies();
        }
        return c.agent().policies(engine).orElseThrow(() -> new Decline("the policy files changed since the agent compiled them"));
    }

    /** Senses (or takes the agent's facts), evaluates and plans. */
    static Pass pass(Engine engine, PolicySet policies, boolean refresh) {
        Context c = CURRENT.get();
        if (c == null) {
            return engine.pass(policies);
        }
        FactSet facts = c.agent().facts(refresh);
        return engine.plan(policies, facts, policies.evaluate(facts, c.agent().history()));
    }

    /** The agent's status document when it answers a client; null on the standalone path. */
    static String status() {
        Context c = CURRENT.get();
        return c == null ? null : c.agent().status() + "\n"; // as the socket's status request answers it
    }

    /** The parts of a configuration that decide the facts. */
    private static List<Object> sensing(EngineConfig c) {
        return Arrays.asList(c.root(), c.commands(), c.metadata(), c.sensorsOff());
    }

    /** {@code c} with its paths absolute against {@code cwd}. */
    private static EngineConfig resolved(EngineConfig c, Path cwd) {
        List<Path> policies = new ArrayList<>();
        c.policyPaths().forEach(p -> policies.add(abs(p, cwd)));
        return new EngineConfig(abs(c.root(), cwd), abs(c.commands(), cwd), c.metadata(), c.sensorsOff(), c.builtinPolicies(),
                c.systemPolicies(), policies, abs(c.stateDir(), cwd));
    }

    private static Path abs(Path p, Path cwd) {
        return p == null ? null : cwd.resolve(p).normalize();
    }

    /**
     * The agent's handler for command-line requests on its control socket: parses the request
     * ({@link AgentClient} says its form), runs the command on this thread with the agent's engine,
     * facts and policies, and answers with its exit code and output, or declines.
     *
     * @param build the agent's own build ({@link AgentClient#build()}, taken when it started)
     */
    static byte[] answer(Served agent, String build, byte[] request) {
        String[] parts = new String(request, StandardCharsets.UTF_8).split("\0", -1);
        // magic, build, charset, cwd, args..., "" after the last NUL
        if (parts.length < 6 || !parts[parts.length - 1].isEmpty()) {
            return header(build, "decline malformed request");
        }
        if (!parts[1].equals(build)) {
            return header(build, "other-build");
        }
        String[] args = Arrays.copyOfRange(parts, 4, parts.length - 1);
        if (!AgentClient.SERVED.contains(args[0])) {
            return header(build, "decline not a command the agent answers");
        }
        Charset cs;
        try {
            cs = Charset.forName(parts[2]);
        } catch (RuntimeException e) {
            return header(build, "decline unknown charset");
        }
        Path cwd = Path.of(parts[3]);
        if (!cwd.isAbsolute()) {
            return header(build, "decline malformed request");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context c = new Context(agent, cwd, new String[1]);
        CURRENT.set(c);
        int code;
        try (PrintWriter o = new PrintWriter(new OutputStreamWriter(out, cs), true);
             PrintWriter e = new PrintWriter(new OutputStreamWriter(err, cs), true)) {
            code = Cli.run(o, e, args);
        } catch (RuntimeException e) {
            return header(build, "decline " + oneLine(e.toString()));
        } finally {
            CURRENT.remove();
        }
        if (c.declined()[0] != null) {
            return header(build, "decline " + oneLine(c.declined()[0]));
        }
        byte[] o = out.toByteArray();
        byte[] e = err.toByteArray();
        byte[] head = (AgentClient.MAGIC + " " + build + " ok " + code + " " + o.length + " " + e.length + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(head, head.length + o.length + e.length);
        System.arraycopy(o, 0, all, head.length, o.length);
        System.arraycopy(e, 0, all, head.length + o.length, e.length);
        return all;
    }

    private static byte[] header(String build, String what) {
        return (AgentClient.MAGIC + " " + build + " " + what + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n]+", " ");
    }
}
