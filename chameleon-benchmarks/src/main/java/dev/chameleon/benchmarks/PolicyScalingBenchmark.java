package dev.chameleon.benchmarks;

import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the cost of compiling and evaluating grows with the number of policies (field trial: 20,876
 * policies in one 4.1 MB file took 17 s to validate and 23 s to plan; the aim is 10,000 policies
 * under 1 s for plan). The policies are {@link PolicyBenchmark#sources}'s five shapes. Run:
 * <pre>
 * ./mvnw -q -B -pl chameleon-benchmarks -am package -DskipTests
 * java -jar chameleon-benchmarks/target/benchmarks.jar PolicyScalingBenchmark
 * java -jar chameleon-benchmarks/target/benchmarks.jar PolicyScalingBenchmark -p policies=1000,10000 -wi 1 -i 3
 * </pre>
 * A compile is single-shot work (a fresh JVM compiles once), so it is measured as single-shot
 * time after warm-up iterations; evaluation as average time.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(1)
public class PolicyScalingBenchmark {
    @Param({"1000", "5000", "10000"})
    public int policies;

    List<PolicySet.Source> sources;
    PolicySet set;
    FactSet facts;

    @Setup
    public void setUp() throws PolicyException {
        sources = PolicyBenchmark.sources(policies);
        set = PolicySet.compile(sources);
        facts = PolicyBenchmark.facts(0);
    }

    /** Compile N policies: parse, type-check every condition, resolve profiles, check conflicts. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public PolicySet compile() throws PolicyException {
        return PolicySet.compile(sources);
    }

    /** Evaluate N compiled policies against one FactSet (what plan does after the compile). */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public PolicySet.Evaluation evaluate() {
        return set.evaluate(facts);
    }
}
