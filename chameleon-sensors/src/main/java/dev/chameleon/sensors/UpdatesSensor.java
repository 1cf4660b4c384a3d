package dev.chameleon.sensors;

import dev.chameleon.host.AptPolicy;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.RebootRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code updates}: what the distribution offers for the packages that fix CPU and kernel
 * vulnerabilities, and whether the machine waits for a reboot.
 *
 * <ul>
 *   <li>{@code packages.<name>}: {@code {installed, candidate, candidateNewer, candidateSecurity,
 *       candidateOrigins}} for {@code intel-microcode}, {@code amd64-microcode}, the running kernel's
 *       image package ({@code linux-image-RELEASE}) and its metapackage ({@code linux-image-FLAVOUR},
 *       the release's tail after {@code X.Y.Z-N-}: {@code linux-image-cloud-amd64}), from one
 *       {@code apt-cache policy PKG...} ({@link AptPolicy}). A package apt does not know is left out;
 *       {@code installed}/{@code candidate} are absent when apt says none; {@code candidateNewer}
 *       by apt's own order of versions. {@code packages} is absent when apt-cache is not installed.
 *       apt's data is read again only when {@code /var/lib/dpkg/status}, {@code /var/lib/apt/lists}
 *       or a file of {@code /etc/apt} changed (modification times and sizes, {@link #stamp}), so an
 *       idle daemon does not run apt every pass; with a store ({@link FactCache#FactCache(java.nio.file.Path)})
 *       a one-shot command takes apt's answer from an earlier process under the same stamp.</li>
 *   <li>{@code kernel}: {@code {running, newestInstalled}}: {@code /proc/sys/kernel/osrelease} and
 *       the highest release of {@code /boot/vmlinuz-*} (digit runs compared as numbers).</li>
 *   <li>{@code reboot}: {@code {pending, reasons, packages}}, one fact for everything that waits
 *       for a boot: Debian's {@code /run/reboot-required} (written by packages' maintainer scripts,
 *       with {@code .pkgs} naming them), a newer installed kernel than the running one, and
 *       chameleon's own record ({@link RebootRecord}: {@code kernelCmdline} and {@code package}
 *       changes). {@code pending} is false only when {@code /run} was visible and nothing waits;
 *       absent without {@code /run} (a fixture without it).</li>
 * </ul>
 */
public final class UpdatesSensor implements Sensor {
    /** Packages whose new versions fix CPU vulnerabilities (loaded at the next boot). */
    public static final List<String> MICROCODE = List.of("intel-microcode", "amd64-microcode");
    private static final Pattern FLAVOUR = Pattern.compile("^\\d+\\.\\d+(?:\\.\\d+)?-\\d+(?:\\.\\d+)?-([a-z0-9][a-z0-9-]*)$");
    static final Duration APT_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public String name() {
        return "updates";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<String> running = ctx.value("/proc/sys/kernel/osrelease").filter(s -> !s.isEmpty());
        List<String> names = new ArrayList<>(MICROCODE);
        running.ifPresent(r -> names.addAll(kernelPackages(r)));
        packages(ctx, names).ifPresent(p -> {
            out.put("packages", p);
            ctx.provenance("updates.packages", "apt-cache policy " + String.join(" ", names));
        });
        Map<String, Object> kernel = new LinkedHashMap<>();
        running.ifPresent(r -> kernel.put("running", r));
        Optional<String> newest = newestKernel(ctx.root().list("/boot"));
        newest.ifPresent(n -> kernel.put("newestInstalled", n));
        if (!kernel.isEmpty()) {
            out.put("kernel", kernel);
            ctx.provenance("updates.kernel", "/proc/sys/kernel/osrelease, /boot/vmlinuz-*");
        }
        if (ctx.root().isDirectory("/run")) {
            List<String> reasons = new ArrayList<>();
            java.util.Set<String> pkgs = new java.util.LinkedHashSet<>();
            if (ctx.root().exists("/run/reboot-required") && !ctx.root().isDirectory("/run/reboot-required")) {
                reasons.add("/run/reboot-required (written by a package's maintainer script)");
                ctx.text("/run/reboot-required.pkgs").ifPresent(t -> pkgs.addAll(RebootRecord.packages(t)));
            }
            if (running.isPresent() && newest.isPresent() && !newest.get().equals(running.get())
                    && compareReleases(newest.get(), running.get()) > 0) {
                reasons.add("kernel " + newest.get() + " is installed, " + running.get() + " is running");
            }
            ctx.text(RebootRecord.PATH).map(RebootRecord::parse).orElse(Map.of()).forEach((key, why) -> {
                reasons.add(key + ": " + why);
                if (key.startsWith("package:")) {
                    pkgs.add(key.substring(8));
                }
            });
            Map<String, Object> reboot = new LinkedHashMap<>();
            reboot.put("pending", !reasons.isEmpty());
            reboot.put("reasons", List.copyOf(reasons));
            reboot.put("packages", List.copyOf(pkgs));
            out.put("reboot", reboot);
            ctx.provenance("updates.reboot", "/run/reboot-required, /run/reboot-required.pkgs, " + RebootRecord.PATH + ", /boot");
        }
        return out;
    }

    /** {@code linux-image-RELEASE} and, when the release names a flavour, {@code linux-image-FLAVOUR}. */
    static List<String> kernelPackages(String release) {
        List<String> out = new ArrayList<>();
        if (!release.matches("[A-Za-z0-9][A-Za-z0-9.+_~-]*")) {
            return out;
        }
        out.add("linux-image-" + release);
        Matcher m = FLAVOUR.matcher(release);
        if (m.matches()) {
            out.add("linux-image-" + m.group(1));
        }
        return out;
    }

    private static Optional<Map<String, Object>> packages(SensorContext ctx, List<String> names) {
        if (!ctx.root().isDirectory("/var/lib/dpkg")) {
            return Optional.empty();
        }
        String stamp = stamp(ctx) + " " + names;
        Object[] memo = ctx.memory("apt", () -> new Object[2]);
        synchronized (memo) {
            if (stamp.equals(memo[0]) && memo[1] != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> kept = (Map<String, Object>) memo[1];
                return Optional.of(kept);
            }
            Optional<String> kept = ctx.stored("apt", stamp);
            String stdout;
            if (kept.isPresent()) {
                stdout = kept.get(); // an earlier process's answer, dpkg and apt unchanged since
            } else {
                CommandResult r = ctx.run(AptPolicy.command(names), APT_TIMEOUT);
                if (r.status() != CommandResult.Status.RAN) {
                    return Optional.empty(); // not installed: absent; timed out: a problem is noted
                }
                if (r.exitCode() != 0) {
                    ctx.problem("command: apt-cache policy", "exit " + r.exitCode() + ": " + SensorContext.abbreviate(r.stderr().strip()));
                    return Optional.empty();
                }
                stdout = r.stdout();
                ctx.store("apt", stamp, stdout);
            }
            Map<String, Object> m = facts(AptPolicy.parse(stdout));
            memo[0] = stamp;
            memo[1] = m;
            return Optional.of(m);
        }
    }

    /** The facts of parsed {@code apt-cache policy} output: name → {installed, candidate, ...}. */
    static Map<String, Object> facts(Map<String, AptPolicy.Pkg> parsed) {
        Map<String, Object> out = new LinkedHashMap<>();
        parsed.forEach((name, p) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            p.installed().ifPresent(v -> m.put("installed", v));
            p.candidate().ifPresent(v -> m.put("candidate", v));
            p.candidateNewer().ifPresent(v -> m.put("candidateNewer", v));
            p.candidateFromSecurity().ifPresent(v -> m.put("candidateSecurity", v));
            p.candidate().flatMap(p::version).ifPresent(v -> m.put("candidateOrigins",
                    v.sources().stream().filter(s -> !s.local()).map(AptPolicy.Source::text).toList()));
            out.put(name, m);
        });
        return out;
    }

    /**
     * What apt's answer depends on: the root, and the modification time and size of dpkg's status,
     * apt's lists folder and every file and folder in {@code /etc/apt} (sources, pins, apt.conf.d)
     * two levels deep, so an in-place edit of a source counts too.
     */
    static String stamp(SensorContext ctx) {
        StringBuilder sb = new StringBuilder(ctx.root().root().toString()).append(';');
        for (String p : List.of("/var/lib/dpkg/status", "/var/lib/apt/lists")) {
            stampOf(sb, ctx.root().resolve(p));
        }
        java.nio.file.Path etc = ctx.root().resolve("/etc/apt");
        stampOf(sb, etc);
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(etc, 2)) {
            s.filter(q -> !q.equals(etc)).sorted().forEach(q -> stampOf(sb, q));
        } catch (java.io.IOException | RuntimeException e) {
            sb.append("etc-apt:-;");
        }
        return sb.toString();
    }

    private static void stampOf(StringBuilder sb, java.nio.file.Path p) {
        sb.append(p.getFileName()).append(':');
        try {
            java.nio.file.attribute.BasicFileAttributes a = java.nio.file.Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            sb.append(a.lastModifiedTime().toMillis()).append('/').append(a.size());
        } catch (java.io.IOException | RuntimeException e) {
            sb.append('-');
        }
        sb.append(';');
    }

    /** The highest release among {@code vmlinuz-RELEASE} names in {@code /boot}. */
    static Optional<String> newestKernel(List<String> boot) {
        return boot.stream().filter(n -> n.startsWith("vmlinuz-") && n.length() > 8).map(n -> n.substring(8))
                .filter(r -> !r.endsWith(".old") && !r.endsWith(".bak")).max(UpdatesSensor::compareReleases);
    }

    /** Kernel releases compared with digit runs as numbers: {@code 6.1.0-28-amd64 > 6.1.0-9-amd64}. */
    static int compareReleases(String a, String b) {
        Matcher x = Pattern.compile("\\d+|\\D+").matcher(a);
        Matcher y = Pattern.compile("\\d+|\\D+").matcher(b);
        while (true) {
            boolean hx = x.find();
            boolean hy = y.find();
            if (!hx || !hy) {
                return Boolean.compare(hx, hy);
            }
            String p = x.group();
            String q = y.group();
            int c;
            if (Character.isDigit(p.charAt(0)) && Character.isDigit(q.charAt(0))) {
                c = new java.math.BigInteger(p).compareTo(new java.math.BigInteger(q));
            } else {
                c = p.compareTo(q);
            }
            if (c != 0) {
                return c;
            }
        }
    }
}
