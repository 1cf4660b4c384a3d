package dev.chameleon.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
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
 * <p>One container per scenario: a "boot" test (the guest ran all steps and powered off) and one
 * test per step. The guest boots once, when the first of them runs. Nothing is skipped: a missing
 * QEMU, kernel or agent jar is a failure. {@code -Dchameleon.vm.scenarios=vmware,...} picks a subset.
 */
class VmScenariosIT {

    @TestFactory
    Stream<DynamicNode> scenarios() throws IOException, URISyntaxException {
        List<Path> files = scenarioFiles();
        assertThat(files).as("scenario files in vm/scenarios on the test classpath").isNotEmpty();
        return files.stream().map(VmScenariosIT::scenario);
    }

    private static DynamicNode scenario(Path file) {
        VmScenario scenario = VmScenario.load(file);
        Memo boot = new Memo(scenario);
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("boot and power off", () -> {
            QemuGuest.Boot b = boot.get();
            if (b.timedOut() || b.console().doneExitCode().isEmpty()) {
                fail("guest did not finish the scenario: " + b.describe() + "\n--- last console lines ---\n"
                        + b.console().tail(60));
            }
        }));
        for (VmScenario.Step step : scenario.steps()) {
            tests.add(DynamicTest.dynamicTest("step " + step.name() + ": " + oneLine(step.run()), () -> {
                QemuGuest.Boot b = boot.get();
                ConsoleLog.StepOutput out = b.console().steps().get(step.name());
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

    /** Boots the scenario's guest once, on first use; remembers the failure too. */
    private static final class Memo {
        private final VmScenario scenario;
        private QemuGuest.Boot boot;
        private RuntimeException failure;

        Memo(VmScenario scenario) {
            this.scenario = scenario;
        }

        synchronized QemuGuest.Boot get() throws Exception {
            if (failure != null) {
                throw failure;
            }
            if (boot == null) {
                try {
                    boot = QemuGuest.boot(GuestImage.get(), scenario);
                    System.out.println("[vm] " + scenario.name() + ": " + boot.describe());
                    boot.console().steps().values().forEach(s -> System.out.printf(
                            "[vm] %s: step %s rc=%d took %.2f s%n", scenario.name(), s.name(), s.exitCode(), s.seconds()));
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                } catch (Exception e) {
                    failure = new IllegalStateException("booting scenario " + scenario.name() + " failed: " + e, e);
                    throw failure;
                }
            }
            return boot;
        }
    }

    private static List<Path> scenarioFiles() throws IOException, URISyntaxException {
        URL url = VmScenariosIT.class.getClassLoader().getResource("vm/scenarios");
        assertThat(url).as("resource folder vm/scenarios").isNotNull();
        Path dir = Path.of(url.toURI());
        String only = System.getProperty("chameleon.vm.scenarios", "").strip();
        Set<String> wanted = only.isEmpty() ? Set.of()
                : Arrays.stream(only.split(",")).map(String::strip).collect(Collectors.toSet());
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.toString().matches(".*\\.ya?ml$"))
                    .filter(p -> wanted.isEmpty()
                            || wanted.contains(p.getFileName().toString().replaceFirst("\\.ya?ml$", "")))
                    .sorted()
                    .toList();
            if (!wanted.isEmpty()) {
                assertThat(files).as("scenarios named by -Dchameleon.vm.scenarios=" + only).hasSize(wanted.size());
            }
            return files;
        }
    }

    private static String oneLine(String run) {
        String line = run.strip().replaceAll("\\s*\\n\\s*", "; ");
        return line.length() > 60 ? line.substring(0, 57) + "..." : line;
    }
}
