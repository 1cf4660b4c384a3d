package dev.chameleon.server.http;

import dev.chameleon.wire.ErrorBody;
import dev.chameleon.wire.Wire;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.LoggerFactory;

/**
 * Jetty's own error answers (414 URI too long, 431 headers too large, 400 bad HTTP) in the API's
 * one JSON error shape instead of an HTML page.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() <= 0 ? 500 : response.getStatus();
        String message = switch (status) {
            case 414 -> "the request URI is too long (at most 8 KiB); send long selectors in a body";
            case 431 -> "the request headers are too large";
            case 400 -> "malformed HTTP request";
            default -> "HTTP error " + status;
        };
        String code = status == 414 || status == 431 ? "too-large" : status == 400 ? "invalid" : "http-" + status;
        String id = java.util.UUID.randomUUID().toString();
        LoggerFactory.getLogger(JsonErrorHandler.class).info("request {} refused by Jetty: {} {}", id, status, message);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        // Jetty closes the connection after a request it could not parse; say so, or a client that
        // pools connections (java.net.http) may send its next request on the closed one and get
        // no answer at all (SecurityContract.hostileSelectors saw "header parser received no bytes")
        response.getHeaders().put(HttpHeader.CONNECTION, org.eclipse.jetty.http.HttpHeaderValue.CLOSE.asString());
        response.getHeaders().put("X-Request-Id", id);
        response.write(true, ByteBuffer.wrap(Wire.write(new ErrorBody(message, code, List.of(), id)).getBytes(StandardCharsets.UTF_8)),
                callback);
        return true;
    }
}
