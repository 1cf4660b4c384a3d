package dev.chameleon.cli.vm;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The VM suite's data and its boots: scenarios from {@code vm/scenarios/*.yaml}, shared machines
 * from {@code vm/machines/*.yaml} (test resources), grouped into boots, booted at most
 * {@code parallel} at a time (longest budget first), each scenario's time printed as its boot ends.
 */
final class VmSuite {
    private final List<BootGroup> groups;
    private final Map<String, CompletableFuture<QemuGuest.Boot>> byScenario = new LinkedHashMap<>();
    private final List<String> summary = new ArrayList<>();
    private final PrintStream log;

    private VmSuite(List<BootGroup> groups, PrintStream log) {
        this.groups = groups;
        this.log = log;
    }

    /** A resource folder of the suite ({@code vm/scenarios}, {@code vm/machines}). */
    static Path resourceDir(String name) throws IOException {
        URL url = VmSuite.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IOException("resource folder " + name + " is not on the test classpath");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** Every scenario file, or only those named (all of which must exist), sorted by name. */
    static List<VmScenario> scenarios(Set<String> wanted) throws IOException {
        Path dir = resourceDir("vm/scenarios");
        Set<String> machineNames = machineNames();
        List<VmScenario> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().matches(".*\\.ya?ml$")).sorted().toList()) {
                String name = p.getFileName().toString().replaceFirst("\\.ya?ml$", "");
                if (wanted.isEmpty() || wanted.contains(name)) {
                    VmScenario sc = VmScenario.load(p);
                    if (machineNames.contains(sc.name())) {
                        throw new IllegalArgumentException(p + ": a machine file has the same name " + sc.name()
                                + " (their console logs would collide)");
                    }
                    out.add(sc);
                }
            }
        }
        if (!wanted.isEmpty() && out.size() != wanted.size()) {
            List<String> found = out.stream().map(VmScenario::name).toList();
            throw new IllegalArgumentException("no scenario file for " + wanted.stream().filter(w -> !found.contains(w)).toList()
                    + " in " + dir + " (have: " + String.join(", ", names()) + ")");
        }
        return out;
    }

    /** Names of every scenario file. */
    static List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(resourceDir("vm/scenarios"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches(".*\\.ya?ml$"))
                    .map(n -> n.replaceFirst("\\.ya?ml$", "")).sorted().toList();
        }
    }

    private static Set<String> machineNames() throws IOException {
        try (Stream<Path> s = Files.list(resourceDir("vm/machines"))) {
            return Set.copyOf(s.map(p -> p.getFileName().toString()).filter(n -> n.matches(".*\\.ya?ml$"))
                    .map(n -> n.replaceFirst("\\.ya?ml$", "")).toList());
        }
    }

    /**
     * Starts every boot in the background, at most {@code parallel} at a time; longest budget first
     * so that two workers end close together.
     */
    static VmSuite start(List<VmScenario> scenarios, int parallel, PrintStream log) throws IOException {
        List<BootGroup> groups = BootGroup.of(scenarios, resourceDir("vm/machines"));
        VmSuite suite = new VmSuite(groups, log);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel), r -> {
            Thread t = new Thread(r, "vm-boot");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger left = new AtomicInteger(groups.size());
        long start = System.nanoTime();
        for (BootGroup g : groups.stream().sorted(Comparator.comparingInt(BootGroup::timeoutSeconds).reversed()).toList()) {
            CompletableFuture<QemuGuest.Boot> f = CompletableFuture.supplyAsync(() -> {
                try {
                    log.printf("[vm] booting %s (%s)%n", g.name(), g.scenarioNames());
                    QemuGuest.Boot b = QemuGuest.boot(GuestImage.get(), g, null);
                    suite.report(b);
                    return b;
                } catch (RuntimeException e) {
                    throw e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while booting " + g.name(), e);
                } catch (Exception e) {
                    throw new IllegalStateException("booting " + g.name() + " (" + g.scenarioNames() + ") failed: " + e, e);
                }
            }, pool);
            f.whenComplete((b, e) -> {
                if (e != null) {
                    log.printf("[vm] %s: FAILED to boot: %s%n", g.name(), e.getMessage());
                }
                if (left.decrementAndGet() == 0) {
                    suite.printSummary((System.nanoTime() - start) / 1e9);
                    pool.shutdown();
                }
            });
            for (VmScenario s : g.scenarios()) {
                suite.byScenario.put(s.name(), f);
            }
        }
        return suite;
    }

    CompletableFuture<QemuGuest.Boot> boot(VmScenario scenario) {
        return byScenario.get(scenario.name());
    }

    List<BootGroup> groups() {
        return groups;
    }

    /** The longest any boot can take to end, queueing included: every boot's budget, one after the other, and a margin. */
    long worstCaseSeconds() {
        return groups.stream().mapToLong(BootGroup::timeoutSeconds).sum() + 600;
    }

    private void report(QemuGuest.Boot b) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("[vm] %s: %s%n", b.group().name(), b.describe()));
        double booted = b.console().bootedUptime().orElse(-1.0);
        for (VmScenario s : b.group().scenarios()) {
            double secs = b.console().scenarioSeconds(s.name());
            String line = String.format("%-14s %7s s in the guest (machine %s, %d steps)", s.name(),
                    secs < 0 ? "DNF" : String.format("%.1f", secs), b.group().name(), s.steps().size());
            synchronized (summary) {
                summary.add(line);
            }
            out.append("[vm] scenario ").append(line).append('\n');
            for (VmScenario.Step step : s.steps()) {
                ConsoleLog.StepOutput o = b.console().steps().get(s.name() + "/" + step.name());
                out.append(String.format("[vm]   %s/%s rc=%s took %s s%n", s.name(), step.name(),
                        o == null ? "?" : o.exitCode(), o == null ? "?" : String.format("%.2f", o.seconds())));
                if (o != null) {
                    o.stdout().lines().filter(l -> l.startsWith("HOTPLUG ") || l.startsWith("CRASH ") || l.startsWith("DRIFT "))
                            .forEach(l -> out.append("[vm]     ").append(l).append('\n'));
                }
            }
        }
        out.append(String.format("[vm] %s: boot to /init %.1f s, QEMU wall time %.1f s%n", b.group().name(), booted,
                b.elapsed().toMillis() / 1000.0));
        for (HotplugDriver.Hotplug h : b.hotplugs()) {
            out.append("[vm] ").append(h.describe()).append('\n');
        }
        log.print(out);
        log.flush();
    }

    private void printSummary(double seconds) {
        StringBuilder out = new StringBuilder(String.format("[vm] all %d boots done in %.1f s wall time; per scenario:%n",
                groups.size(), seconds));
        synchronized (summary) {
            summary.stream().sorted().forEach(l -> out.append("[vm]   ").append(l).append('\n'));
        }
        log.print(out);
        log.flush();
    }
}
