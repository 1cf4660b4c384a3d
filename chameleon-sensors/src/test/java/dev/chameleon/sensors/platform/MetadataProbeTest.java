package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chameleon.host.Host;
import dev.chameleon.sensors.SensorContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metadata probe against a real HTTP server on 127.0.0.1 that plays each cloud's service. */
class MetadataProbeTest {
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @TempDir
    Path tmp;

    private String start(String cloud) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            handle(cloud, ex);
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }

    private static void handle(String cloud, HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().toString();
        var h = ex.getRequestHeaders();
        switch (cloud) {
            case "aws" -> {
                if (ex.getRequestMethod().equals("PUT") && path.equals("/latest/api/token")
                        && "60".equals(h.getFirst("X-aws-ec2-metadata-token-ttl-seconds"))) {
                    send(ex, 200, "AQAEAtoken==");
                } else if (path.equals("/latest/dynamic/instance-identity/document") && "AQAEAtoken==".equals(h.getFirst("X-aws-ec2-metadata-token"))) {
                    send(ex, 200, """
                            {
                              "accountId" : "123456789012",
                              "availabilityZone" : "eu-west-1b",
                              "imageId" : "ami-0abcdef1234567890",
                              "instanceId" : "i-0123456789abcdef0",
                              "instanceType" : "m6i.large",
                              "region" : "eu-west-1"
                            }""");
                } else {
                    send(ex, 401, "");
                }
            }
            case "gcp" -> {
                if (path.startsWith("/computeMetadata/v1/instance/") && "Google".equals(h.getFirst("Metadata-Flavor"))) {
                    ex.getResponseHeaders().add("Metadata-Flavor", "Google");
                    send(ex, 200, "{\"id\": 4520031799277581759, \"machineType\": \"projects/1234/machineTypes/n2-standard-4\","
                            + " \"zone\": \"projects/1234/zones/us-central1-a\", \"name\": \"vm-1\"}");
                } else {
                    send(ex, 404, "");
                }
            }
            case "azure" -> {
                if (path.startsWith("/metadata/instance?api-version=") && "true".equals(h.getFirst("Metadata"))) {
                    send(ex, 200, "{\"compute\": {\"vmId\": \"02aab8a4-74ef-476e-8182-f6d2ba4166a6\", \"location\": \"westeurope\","
                            + " \"vmSize\": \"Standard_D2s_v5\", \"zone\": \"\"}, \"network\": {}}");
                } else {
                    send(ex, 400, "");
                }
            }
            case "imposter" -> {
                // answers the GCE path without the Metadata-Flavor header: not Google's server
                send(ex, 200, "{\"id\": 1, \"zone\": \"x\"}");
            }
            default -> send(ex, 404, "");
        }
    }

    private Map<String, Object> probe(String url) {
        return new MetadataProbe(new MetadataProbe.Options(true, url, Duration.ofMillis(500))).probe();
    }

    @Test
    void awsImdsV2TokenThenIdentityDocument() throws IOException {
        String url = start("aws");
        assertThat(probe(url)).containsEntry("provider", "aws").containsEntry("instanceId", "i-0123456789abcdef0")
                .containsEntry("region", "eu-west-1").containsEntry("zone", "eu-west-1b").containsEntry("instanceType", "m6i.large")
                .containsEntry("source", url + "/latest/dynamic/instance-identity/document");
        assertThat(requests).containsExactly("PUT /latest/api/token", "GET /latest/dynamic/instance-identity/document");
    }

    @Test
    void gceWithTheMetadataFlavorHeader() throws IOException {
        assertThat(probe(start("gcp"))).containsEntry("provider", "gcp").containsEntry("instanceId", "4520031799277581759")
                .containsEntry("zone", "us-central1-a").containsEntry("region", "us-central1").containsEntry("instanceType", "n2-standard-4");
    }

    @Test
    void azureImds() throws IOException {
        assertThat(probe(start("azure"))).containsEntry("provider", "azure").containsEntry("instanceId", "02aab8a4-74ef-476e-8182-f6d2ba4166a6")
                .containsEntry("region", "westeurope").containsEntry("instanceType", "Standard_D2s_v5").doesNotContainKey("zone");
    }

    @Test
    void nothingAnswersOrAnImposterAnswers() throws IOException {
        assertThat(probe(start("imposter"))).containsEntry("provider", "none");
        stop();
        server = null;
        // a closed port on loopback: connection refused, quickly
        assertThat(probe("http://127.0.0.1:1")).containsEntry("provider", "none").containsEntry("tried", List.of("aws", "gcp", "azure"));
    }

    @Test
    void offByDefaultAndTheAnswerNamesAnUnknownCloud() throws IOException {
        assertThat(MetadataProbe.Options.disabled().enabled()).isFalse();
        Path root = tmp.resolve("root");
        java.nio.file.Files.createDirectories(root);
        java.nio.file.Files.createDirectories(tmp.resolve("commands"));
        @SuppressWarnings("unchecked")
        Map<String, Object> off = (Map<String, Object>) new PlatformSensor().sense(new SensorContext(Host.fixture(tmp)));
        assertThat(off).doesNotContainKey("metadata").containsEntry("cloud", "unknown");
        String url = start("aws");
        @SuppressWarnings("unchecked")
        Map<String, Object> on = (Map<String, Object>) new PlatformSensor(null, MetadataProbe.Options.enabled(url))
                .sense(new SensorContext(Host.fixture(tmp)));
        assertThat(on).containsEntry("cloud", "aws");
        assertThat((Map<String, Object>) on.get("metadata")).containsEntry("provider", "aws");
        assertThat((List<Map<String, Object>>) on.get("evidence")).anySatisfy(e -> assertThat(e)
                .containsEntry("signal", "metadata.aws").containsEntry("supports", "cloud=aws"));
    }

    @Test
    void optionsFailFast() {
        assertThatThrownBy(() -> MetadataProbe.Options.enabled("169.254.169.254")).hasMessageContaining("http://");
        assertThatThrownBy(() -> new MetadataProbe.Options(true, "http://x", Duration.ZERO)).hasMessageContaining("positive");
    }
}
