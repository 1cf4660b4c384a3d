package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression (issue 11): {@code plan}, {@code apply} and {@code explain} accepted
 * {@code --cloud-metadata} and silently did not ask the metadata service. Every sensing command
 * now assembles its engine the same way; a metadata service on loopback counts the questions.
 */
class CloudMetadataEveryCommandTest {
    @TempDir
    Path tmp;

    @Test
    void everySensingCommandAsksTheMetadataServiceWhenTold() throws IOException {
        Path root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        AtomicInteger asked = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            asked.incrementAndGet();
            byte[] b = "AQAEAtoken==".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(ex.getRequestURI().getPath().equals("/latest/api/token") ? 200 : 404, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            for (List<String> cmd : List.of(List.of("facts"), List.of("detect"), List.of("plan"), List.of("explain", "sysctl:vm.swappiness"),
                    List.of("apply", "--yes", "--state-dir", tmp.resolve("state").toString()))) {
                int before = asked.get();
                String[] args = AgentLoopTest.concat(cmd.toArray(String[]::new), "--root", root.toString(), "--cloud-metadata",
                        "--cloud-metadata-url", url);
                CliTest.Run r = CliTest.cli(args);
                assertThat(r.code()).as(cmd + ": " + r.err()).isZero();
                assertThat(asked.get()).as(cmd + " asked the metadata service").isGreaterThan(before);
                int again = asked.get();
                CliTest.cli(AgentLoopTest.concat(cmd.toArray(String[]::new), "--root", root.toString(), "--cloud-metadata-url", url));
                assertThat(asked.get()).as(cmd + " without --cloud-metadata stays local").isEqualTo(again);
            }
        } finally {
            server.stop(0);
        }
    }
}
