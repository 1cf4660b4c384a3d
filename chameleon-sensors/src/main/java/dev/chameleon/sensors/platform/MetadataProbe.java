package dev.chameleon.sensors.platform;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Asks the cloud's instance metadata service who we are: the only network access of the sensors,
 * off unless {@link Options#enabled()} (CLI: {@code --cloud-metadata}).
 *
 * <p>Tried in order, each with {@link Options#timeout()} for connect and read:
 * <ol>
 *   <li>AWS IMDSv2: {@code PUT /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds: 60},
 *       then {@code GET /latest/dynamic/instance-identity/document} with
 *       {@code X-aws-ec2-metadata-token}: instanceId, region, availabilityZone, instanceType.</li>
 *   <li>GCE: {@code GET /computeMetadata/v1/instance/?recursive=true} with
 *       {@code Metadata-Flavor: Google}; the answer must carry the same header: id, zone,
 *       machineType (last path element of each).</li>
 *   <li>Azure IMDS: {@code GET /metadata/instance?api-version=2021-02-01} with
 *       {@code Metadata: true}: compute.vmId, compute.location, compute.vmSize.</li>
 * </ol>
 * Result ({@code platform.metadata}): {@code {provider: aws|gcp|azure, instanceId, region?,
 * zone?, instanceType?, source}} from the first service that answers with a well-formed
 * document, or {@code {provider: none, tried}} when none does. Never throws.
 */
public final class MetadataProbe {
    /**
     * @param enabled whether to probe at all (default false)
     * @param baseUrl the metadata address, {@code http://169.254.169.254} on every cloud here;
     *                tests point it at a loopback server
     * @param timeout connect and read limit per request
     */
    public record Options(boolean enabled, String baseUrl, Duration timeout) {
        public static final String DEFAULT_URL = "http://169.254.169.254";

        public Options {
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(timeout, "timeout");
            if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
                throw new IllegalArgumentException("metadata URL must start with http:// or https://: " + baseUrl);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("metadata timeout must be positive: " + timeout);
            }
            baseUrl = baseUrl.replaceAll("/+$", "");
        }

        /** Off: the default. */
        public static Options disabled() {
            return new Options(false, DEFAULT_URL, Duration.ofMillis(500));
        }

        /** On, at {@code baseUrl} (null: the default address), 500 ms per request. */
        public static Options enabled(String baseUrl) {
            return new Options(true, baseUrl == null ? DEFAULT_URL : baseUrl, Duration.ofMillis(500));
        }
    }

    private final Options options;

    public MetadataProbe(Options options) {
        this.options = options;
    }

    /** Probes the services in order; see the class doc for the shape. */
    public Map<String, Object> probe() {
        Optional<Map<String, Object>> r = aws();
        if (r.isEmpty()) {
            r = gcp();
        }
        if (r.isEmpty()) {
            r = azure();
        }
        return r.orElseGet(() -> {
            Map<String, Object> none = new LinkedHashMap<>();
            none.put("provider", "none");
            none.put("tried", List.of("aws", "gcp", "azure"));
            none.put("source", options.baseUrl());
            return none;
        });
    }

    private Optional<Map<String, Object>> aws() {
        Optional<Answer> token = call("PUT", "/latest/api/token", Map.of("X-aws-ec2-metadata-token-ttl-seconds", "60"));
        if (token.isEmpty() || token.get().body().isBlank()) {
            return Optional.empty();
        }
        String url = "/latest/dynamic/instance-identity/document";
        return call("GET", url, Map.of("X-aws-ec2-metadata-token", token.get().body().strip()))
                .flatMap(a -> json(a.body()))
                .filter(d -> d.get("instanceId") instanceof String)
                .map(d -> result("aws", d.get("instanceId"), d.get("region"), d.get("availabilityZone"), d.get("instanceType"), url));
    }

    private Optional<Map<String, Object>> gcp() {
        String url = "/computeMetadata/v1/instance/?recursive=true";
        return call("GET", url, Map.of("Metadata-Flavor", "Google"))
                .filter(a -> "Google".equals(a.flavor()))
                .flatMap(a -> json(a.body()))
                .filter(d -> d.get("id") != null)
                .map(d -> {
                    String zone = last(d.get("zone"));
                    String region = zone == null || zone.lastIndexOf('-') < 0 ? null : zone.substring(0, zone.lastIndexOf('-'));
                    return result("gcp", String.valueOf(d.get("id")), region, zone, last(d.get("machineType")), url);
                });
    }

    @SuppressWarnings("unchecked")
    private Optional<Map<String, Object>> azure() {
        String url = "/metadata/instance?api-version=2021-02-01";
        return call("GET", url, Map.of("Metadata", "true"))
                .flatMap(a -> json(a.body()))
                .filter(d -> d.get("compute") instanceof Map)
                .map(d -> (Map<String, Object>) d.get("compute"))
                .filter(c -> c.get("vmId") instanceof String)
                .map(c -> result("azure", c.get("vmId"), c.get("location"), c.get("zone") == null || "".equals(c.get("zone")) ? null : c.get("zone"),
                        c.get("vmSize"), url));
    }

    private Map<String, Object> result(String provider, Object id, Object region, Object zone, Object type, String path) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("provider", provider);
        m.put("instanceId", String.valueOf(id));
        if (region != null) {
            m.put("region", String.valueOf(region));
        }
        if (zone != null) {
            m.put("zone", String.valueOf(zone));
        }
        if (type != null) {
            m.put("instanceType", String.valueOf(type));
        }
        m.put("source", options.baseUrl() + path);
        return m;
    }

    private static String last(Object path) {
        if (path == null) {
            return null;
        }
        String s = String.valueOf(path);
        return s.substring(s.lastIndexOf('/') + 1);
    }

    private record Answer(String body, String flavor) {
    }

    private Optional<Answer> call(String method, String path, Map<String, String> headers) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(options.baseUrl() + path).toURL().openConnection(java.net.Proxy.NO_PROXY);
            c.setRequestMethod(method);
            c.setConnectTimeout((int) options.timeout().toMillis());
            c.setReadTimeout((int) options.timeout().toMillis());
            c.setInstanceFollowRedirects(false);
            headers.forEach(c::setRequestProperty);
            if (method.equals("PUT")) {
                c.setDoOutput(true);
                c.getOutputStream().close();
            }
            if (c.getResponseCode() != 200) {
                return Optional.empty();
            }
            try (InputStream in = c.getInputStream()) {
                String body = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
                return Optional.of(new Answer(body, c.getHeaderField("Metadata-Flavor")));
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /** A JSON object (parsed as YAML, of which JSON is a subset), empty when it is not one. */
    @SuppressWarnings("unchecked")
    static Optional<Map<String, Object>> json(String text) {
        try {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(text.replace('\t', ' '));
            return o instanceof Map<?, ?> m ? Optional.of((Map<String, Object>) m) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
