package dev.chameleon.cli.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The base guest built by {@code vm/build-guest.sh}: Debian's kernel and an initramfs with
 * busybox, kernel modules, a jlinked JRE and the agent jar. Built once per test JVM.
 *
 * @param kernel  the bzImage to pass to {@code -kernel}
 * @param initrd  the base gzip'd cpio; a scenario appends its own archive to it
 * @param workDir {@code target/vm}, where logs and per-scenario files go
 */
record GuestImage(Path kernel, Path initrd, Path workDir) {
    private static final long BUILD_TIMEOUT_MINUTES = 20;
    private static GuestImage built;
    private static RuntimeException failure;

    /** Builds (or reuses) the base guest; throws with the script's output when it cannot. */
    static synchronized GuestImage get() {
        if (built != null) {
            return built;
        }
        if (failure != null) {
            throw failure;
        }
        try {
            built = build();
            return built;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
    }

    private static GuestImage build() {
        Path jar = Path.of(requiredProperty("chameleon.jar")).toAbsolutePath();
        Path repo = Path.of(requiredProperty("chameleon.repo")).toAbsolutePath();
        Path script = repo.resolve("vm/build-guest.sh");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("agent jar " + jar + " does not exist: run `./mvnw package` first");
        }
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("harness script " + script + " does not exist");
        }
        Path workDir = jar.getParent().resolve("vm");
        try {
            Files.createDirectories(workDir);
            Path log = workDir.resolve("build-guest.log");
            long start = System.nanoTime();
            Process p = new ProcessBuilder("bash", script.toString(), jar.toString(), workDir.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("vm/build-guest.sh did not finish in " + BUILD_TIMEOUT_MINUTES
                        + " minutes; output:\n" + tail(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("vm/build-guest.sh failed with exit code " + p.exitValue()
                        + " (full output in " + log + "):\n" + tail(log));
            }
            System.out.printf("[vm] base guest ready in %.1f s (%s)%n",
                    (System.nanoTime() - start) / 1e9, log);
            GuestImage image = new GuestImage(workDir.resolve("vmlinuz"), workDir.resolve("initramfs.cpio.gz"), workDir);
            for (Path f : List.of(image.kernel(), image.initrd())) {
                if (!Files.isRegularFile(f)) {
                    throw new IllegalStateException("vm/build-guest.sh succeeded but " + f + " is missing");
                }
            }
            return image;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run vm/build-guest.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the guest", e);
        }
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name
                    + " is not set (maven-failsafe sets it; run through `./mvnw verify`)");
        }
        return value;
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
