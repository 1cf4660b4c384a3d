package dev.chameleon.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a real process for the integration tests and returns its exit code and output. */
record Proc(int code, String out) {
    /**
     * Runs {@code argv} with standard input from /dev/null and its output (stdout and stderr) in a
     * temporary file, so that waiting is bounded even when the child, or a grandchild holding its
     * output open, never ends: after {@code timeoutSeconds} the child and its descendants are
     * killed and the test fails with what they printed.
     */
    static Proc run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("chameleon-proc", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + argv + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Proc(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The command that starts the packaged agent: {@code java -jar target/chameleon.jar}. */
    static List<String> chameleon() {
        String jar = System.getProperty("chameleon.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new AssertionError("the packaged agent is missing (system property chameleon.jar = " + jar
                    + "); run through 'mvn verify'");
        }
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("-XX:TieredStopAtLevel=1");
        argv.add("-XX:+UseSerialGC");
        argv.add("-jar");
        argv.add(jar);
        return argv;
    }

    static String shellWords(List<String> argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            sb.append('\'').append(a.replace("'", "'\\''")).append("' ");
        }
        return sb.toString().strip();
    }
}
