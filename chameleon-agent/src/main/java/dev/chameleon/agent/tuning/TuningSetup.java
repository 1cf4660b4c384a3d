package dev.chameleon.agent.tuning;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineConfig;
import dev.chameleon.engine.EngineException;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.Tuning;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What a tuning run is assembled from, in one place for {@code chameleon tune} and the agent
 * running an assigned Tuning: the probe, the trial's health check, the optimiser, and the
 * approval that writes a proposal into the policy folder.
 */
public final class TuningSetup {
    /** The first line of every proposal file; {@link #approve} replaces only a file that starts with it. */
    public static final String PROPOSAL_MARK = "# Proposed by chameleon tune";

    private TuningSetup() {
    }

    /**
     * The objective's probe.
     *
     * @throws EngineException.BadInput the probe cannot be run (positioned at the document's probe)
     */
    public static Probe probe(Tuning tuning, CommandRunner runner) {
        try {
            return new Probe(tuning.objective().probe(), runner);
        } catch (IllegalArgumentException e) {
            Tuning.Probe p = tuning.objective().probe();
            throw new EngineException.BadInput(tuning.file() + ":" + p.line() + ":" + p.column() + ": spec.objective.probe."
                    + e.getMessage() + "; nothing was changed");
        }
    }

    /**
     * The trial's health check: the Tuning's {@code guardrail.health}, else {@code fallback} (the
     * agent's own health gate; null for none), else null.
     *
     * @throws EngineException.BadInput the Tuning's health check cannot be run (positioned)
     */
    public static HealthGate gate(Tuning tuning, CommandRunner runner, HealthGate fallback) {
        Tuning.Guardrail g = tuning.guardrail();
        if (g.healthCommand().isEmpty() && g.healthUrl() == null) {
            return fallback;
        }
        try {
            return new HealthGate(new HealthGate.Settings(g.healthCommand(), g.healthUrl() == null ? null : java.net.URI.create(g.healthUrl()),
                    g.healthTimeout(), java.time.Duration.ZERO), runner);
        } catch (IllegalArgumentException e) {
            throw new EngineException.BadInput(tuning.file() + ":" + g.line() + ":" + g.column() + ": spec.guardrail.health."
                    + e.getMessage() + "; nothing was changed");
        }
    }

    /**
     * The optimiser by name: {@code gp} (Gaussian process with expected improvement; its first
     * {@code max(2, min(knobs + 1, trials / 3))} trials random) or {@code random}.
     *
     * @throws EngineException.BadInput another name
     */
    public static Optimizer optimizer(String name, long seed, Tuning tuning) {
        return switch (name) {
            case "gp" -> new GaussianProcessOptimizer(seed, Math.max(2, Math.min(tuning.knobs().size() + 1, tuning.budget().trials() / 3)));
            case "random" -> new RandomSearch(seed);
            default -> throw new EngineException.BadInput("--optimizer must be gp or random, found '" + name + "'");
        };
    }

    /**
     * Writes the proposal into the policy folder under the root
     * ({@value EngineConfig#SYSTEM_POLICIES}{@code /tuned-NAME.yaml}, atomically), after checking
     * it compiles with every policy the engine loads.
     *
     * @return the file written
     * @throws EngineException.Refused  no proposal, a gain not shown above 0, or a file of that name that is not an earlier proposal
     * @throws EngineException.BadInput the proposal conflicts with a loaded policy (both positions)
     * @throws EngineException.Failed   the file cannot be written
     */
    public static Path approve(Engine engine, TuningReport report) {
        if (report.proposal().isEmpty()) {
            throw new EngineException.Refused("no trial beat the baseline; nothing to approve, nothing was written");
        }
        if (!report.gain().orElseThrow().significant()) {
            throw new EngineException.Refused("the gain " + report.gain().get().describe() + " is not shown to be above 0 (its 95% interval "
                    + "is unknown or reaches 0); nothing was written. Run with more repeats or trials.");
        }
        Path dir = engine.host().root().resolve(EngineConfig.SYSTEM_POLICIES);
        Path target = dir.resolve(report.proposalName() + ".yaml");
        String text = report.proposal().get();
        List<PolicyError> errors = new ArrayList<>();
        List<PolicySet.Source> sources = new ArrayList<>(engine.policySources(errors));
        sources.removeIf(s -> Path.of(s.name()).toAbsolutePath().normalize().equals(target.toAbsolutePath().normalize()));
        sources.add(new PolicySet.Source(target.toString(), text));
        Engine.compile(sources, errors); // a conflict with a policy already there is refused here, with both positions
        try {
            if (Files.exists(target) && !Files.readString(target).startsWith(PROPOSAL_MARK)) {
                throw new EngineException.Refused(target + " exists and is not an earlier proposal of chameleon tune; nothing was written");
            }
            Files.createDirectories(dir);
            Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new EngineException.Failed("cannot write " + target + ": " + e.getMessage());
        }
        return target;
    }
}
