package dev.chameleon.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Whole-agent tests: for every {@code vm/scenarios/*.yaml} on the test classpath, boot Debian's
 * kernel under QEMU (TCG) with the platform's emulated hardware and the agent inside, run the
 * scenario's steps and check what each printed. See docs/vm-tests.md.
 *
 * <p>One container per scenario: a "boot" test (the guest ran all steps and powered off, and every
 * QMP hotplug of the boot succeeded) and one test per step. Scenarios that name the same machine
 * file share one boot; boots start when the factory runs, {@code -Dchameleon.vm.parallel=N}
 * (default 2) at a time, and each test waits for its boot. Nothing is skipped: a missing QEMU,
 * kernel or agent jar is a failure. {@code -Dchameleon.vm.scenarios=vmware,...} picks a subset.
 */
class VmScenariosIT {
    @TestFactory
    Stream<DynamicNode> scenarios() throws IOException {
        String only = System.getProperty("chameleon.vm.scenarios", "").strip();
        Set<String> wanted = only.isEmpty() ? Set.of()
                : Arrays.stream(only.split(",")).map(String::strip).collect(Collectors.toSet());
        List<VmScenario> scenarios = VmSuite.scenarios(wanted);
        assertThat(scenarios).as("scenario files in vm/scenarios on the test classpath").isNotEmpty();
        int parallel = Integer.getInteger("chameleon.vm.parallel", 2);
        VmSuite suite = VmSuite.start(scenarios, parallel, System.out);
        long wait = suite.worstCaseSeconds();
        return scenarios.stream().map(s -> scenario(s, suite.boot(s), wait));
    }

    private static DynamicNode scenario(VmScenario scenario, CompletableFuture<QemuGuest.Boot> future, long wait) {
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("boot and power off", () -> {
            QemuGuest.Boot b = await(future, wait);
            if (b.timedOut() || b.console().doneExitCode().isEmpty() || b.console().scenarioSeconds(scenario.name()) < 0) {
                fail("guest did not finish scenario " + scenario.name() + ": " + b.describe()
                        + "\n--- last console lines ---\n" + b.console().tail(60));
            }
            List<String> hotplugErrors = b.hotplugs().stream().filter(h -> h.error() != null)
                    .map(h -> h.describe() + "\n    " + String.join("\n    ", h.transcript())).toList();
            if (!hotplugErrors.isEmpty()) {
                fail("QMP hotplug failed in the boot of " + b.group().name() + ":\n  " + String.join("\n  ", hotplugErrors));
            }
        }));
        for (VmScenario.Step step : scenario.steps()) {
            tests.add(DynamicTest.dynamicTest("step " + step.name() + ": " + oneLine(step.run()), () -> {
                QemuGuest.Boot b = await(future, wait);
                ConsoleLog.StepOutput out = b.console().steps().get(scenario.name() + "/" + step.name());
                if (out == null) {
                    fail("step '" + step.name() + "' has no END marker in the console: " + b.describe()
                            + "\n--- last console lines ---\n" + b.console().tail(60));
                }
                List<String> problems = StepExpectations.check(step, out);
                if (!problems.isEmpty()) {
                    fail("scenario " + scenario.name() + ", step '" + step.name() + "' (" + oneLine(step.run())
                            + "):\n  - " + String.join("\n  - ", problems)
                            + "\n--- exit code " + out.exitCode() + ", stdout ---\n" + out.stdout()
                            + "\n--- stderr ---\n" + out.stderr()
                            + "\n--- end (whole console: " + b.log() + ") ---");
                }
            }));
        }
        return DynamicContainer.dynamicContainer(scenario.toString(), tests.stream());
    }

    /** The boot, waiting a bounded time; its failure is rethrown as is. */
    private static QemuGuest.Boot await(CompletableFuture<QemuGuest.Boot> future, long seconds) throws Exception {
        try {
            return future.get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("the boot did not end within " + seconds + " s of waiting", e);
        }
    }

    private static String oneLine(String run) {
        String line = run.strip().replaceAll("\\s*\\n\\s*", "; ");
        return line.length() > 60 ? line.substring(0, 57) + "..." : line;
    }
}
