package dev.chameleon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A small HTTP client for tests, with bounded timeouts. */
public final class Http {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client;
    private final String base;

    public Http(String base) {
        this(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    }

    public Http(String base, HttpClient client) {
        this.base = base;
        this.client = client;
    }

    /** A response: status, headers (first value, lower-case names), body text. */
    public record Response(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public Response send(String method, String path, String token, String contentType, String body, Map<String, String> headers,
                         Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> h = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            return new Response(r.statusCode(), h, r.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Response get(String path, String token) {
        return send("GET", path, token, null, null, Map.of(), Duration.ofSeconds(30));
    }

    public Response post(String path, String token, String json) {
        return send("POST", path, token, "application/json", json, Map.of(), Duration.ofSeconds(30));
    }

    public Response put(String path, String token, String contentType, String body) {
        return send("PUT", path, token, contentType, body, Map.of(), Duration.ofSeconds(30));
    }

    public Response delete(String path, String token) {
        return send("DELETE", path, token, null, null, Map.of(), Duration.ofSeconds(30));
    }

    /** JSON text of a map, for request bodies. */
    public static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
