import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Planner;
import dev.chameleon.host.Host;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.FactCache;
import dev.chameleon.sensors.Sensor;
import dev.chameleon.sensors.SensorContext;
import dev.chameleon.sensors.SensorSuite;
import dev.chameleon.sensors.Sensors;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CPU one daemon pass costs, by part: each sensor (thread CPU time of its sense call), the
 * collection around them, the policy evaluation of the built-in pack and the plan; the whole
 * process's CPU per pass. The first collection (which fills the constant cache) is left out, as
 * the daemon pays it once. Reads the live machine; changes nothing.
 *
 *   java [JVM options] -cp chameleon.jar:. PassCost PASSES
 */
public class PassCost {
    static final ThreadMXBean TM = ManagementFactory.getThreadMXBean();
    static final Map<String, long[]> COST = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        Host host = Host.live();
        PolicySet pack = PolicySet.compile(PolicySet.defaultPack());
        List<Sensor> timed = new ArrayList<>();
        for (Sensor s : Sensors.all()) {
            timed.add(new Sensor() {
                public String name() {
                    return s.name();
                }

                public java.time.Duration timeout() {
                    return s.timeout();
                }

                public Object sense(SensorContext c) throws Exception {
                    long t = TM.getCurrentThreadCpuTime();
                    try {
                        return s.sense(c);
                    } finally {
                        COST.computeIfAbsent(s.name(), k -> new long[1])[0] += TM.getCurrentThreadCpuTime() - t;
                    }
                }
            });
        }
        SensorSuite suite = new SensorSuite(timed, java.time.Duration.ofSeconds(20));
        FactCache cache = new FactCache();
        suite.collect(host, cache);
        COST.clear();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long collect = 0, eval = 0, plan = 0, desired = 0;
        long p0 = os.getProcessCpuTime();
        for (int i = 0; i < n; i++) {
            long t0 = TM.getCurrentThreadCpuTime();
            var facts = suite.collect(host, cache);
            long t1 = TM.getCurrentThreadCpuTime();
            var ev = pack.evaluate(facts);
            long t2 = TM.getCurrentThreadCpuTime();
            new Planner(Actuators.standard()).plan(host, ev.desired());
            long t3 = TM.getCurrentThreadCpuTime();
            collect += t1 - t0;
            eval += t2 - t1;
            plan += t3 - t2;
            desired = ev.desired().size();
        }
        long p1 = os.getProcessCpuTime();
        System.out.printf("per pass (%d passes, %d settings wanted): process %.1f ms CPU; main thread: collect %.1f, evaluate %.1f, plan %.1f ms%n",
                n, desired, (p1 - p0) / 1e6 / n, collect / 1e6 / n, eval / 1e6 / n, plan / 1e6 / n);
        COST.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                .forEach(e -> System.out.printf("  sensor %-9s %5.1f ms%n", e.getKey(), e.getValue()[0] / 1e6 / n));
    }
}
