package dev.chameleon.agent;

import dev.chameleon.engine.Engine;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicySet;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the running agent lends the command line when a client asks it over the control socket
 * instead of sensing and compiling itself: its engine, its facts (at most {@link #MAX_AGE} old,
 * or read again on request) and its compiled policies, but only while their sources are, byte for
 * byte, those it compiled. The command line renders its answer from these with the same code as
 * the standalone path, so both print the same.
 */
public final class Served {
    /** Facts older than this are sensed again for a client: longer than the default interval and its splay (66 s), so a client normally gets the last pass's. */
    public static final Duration MAX_AGE = Duration.ofSeconds(120);

    /** Compiled policies and the fingerprint of the sources they were compiled from. */
    /**
     * @param tunings the Tuning documents among the same sources (policies.d, folders, the bundle), which the agent runs
     *                ({@link dev.chameleon.agent.tuning.AssignedTunings})
     */
    public record Loaded(PolicySet set, String fingerprint, List<dev.chameleon.agent.tuning.AssignedTunings.Assigned> tunings) {
        /** Reads {@code engine}'s policy sources, fingerprints and compiles them (throws as {@link Engine#compile} does). */
        public static Loaded load(Engine engine) {
            return load(engine, List.of());
        }

        /**
         * As {@link #load(Engine)}, with {@code extra} sources (the control plane's bundle) compiled
         * after the engine's. The fingerprint covers them too, so while a bundle is in force the
         * command line, which reads only the local sources, is never served a plan the bundle
         * changed: it answers alone, as it would without the agent.
         */
        public static Loaded load(Engine engine, List<PolicySet.Source> extra) {
            List<PolicyError> errors = new ArrayList<>();
            List<PolicySet.Source> sources = new ArrayList<>(engine.policySources(errors));
            sources.addAll(extra);
            String fp = Served.fingerprint(sources);
            PolicySet set = Engine.compile(sources, errors); // refuses a Tuning file with errors, positioned, as a bad policy
            return new Loaded(set, fp, dev.chameleon.agent.tuning.AssignedTunings.of(sources));
        }
    }

    private final Agent agent;
    private final AtomicReference<Loaded> loaded;

    /**
     * @param agent  the running agent
     * @param loaded the policies the agent's loader compiled last, with their fingerprint
     */
    public Served(Agent agent, AtomicReference<Loaded> loaded) {
        this.agent = agent;
        this.loaded = loaded;
    }

    /** The engine the agent's passes run on (its configuration says which machine, sensors, policies and state folder). */
    public Engine engine() {
        return agent.engine();
    }

    /** The agent's facts: see {@link Agent#facts(Duration, boolean)}. */
    public FactSet facts(boolean refresh) {
        return agent.facts(MAX_AGE, refresh);
    }

    /**
     * The agent's compiled policies, when the sources {@code engine} reads now are exactly those
     * they were compiled from; empty when a file changed since (the agent reloads soon), a source
     * cannot be read, or the agent holds policies of another load.
     */
    public Optional<PolicySet> policies(Engine engine) {
        Loaded l = loaded.get();
        if (l == null || l.set() != agent.policies()) {
            return Optional.empty();
        }
        List<PolicyError> errors = new ArrayList<>();
        List<PolicySet.Source> now = engine.policySources(errors);
        return errors.isEmpty() && fingerprint(now).equals(l.fingerprint()) ? Optional.of(l.set()) : Optional.empty();
    }

    /** Some sensors sensed afresh in the agent ({@link Agent#sense(dev.chameleon.sensors.SensorSuite)}). */
    public FactSet sense(dev.chameleon.sensors.SensorSuite suite) {
        return agent.sense(suite);
    }

    /**
     * A copy of the agent's {@link dev.chameleon.policy.ConditionHistory}: a client's {@code plan}
     * decides {@code for:} policies as the agent's next pass would, without changing its history.
     */
    public dev.chameleon.policy.ConditionHistory history() {
        return agent.conditionHistory().copy();
    }

    /** The agent's status document, as the socket's {@code status} request answers it. */
    public String status() {
        return agent.status();
    }

    /** SHA-256 over every source's name and text, in load order. */
    static String fingerprint(List<PolicySet.Source> sources) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (PolicySet.Source s : sources) {
                d.update(s.name().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(s.text().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
