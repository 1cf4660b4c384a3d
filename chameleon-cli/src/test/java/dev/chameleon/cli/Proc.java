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
    static Proc run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + argv);
        }
        return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8));
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
