package dev.chameleon.server.http;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.List;

/**
 * One HTTP route and its documentation: the OpenAPI document is generated from the list of these
 * that the server also registers, so a route cannot exist undocumented.
 *
 * @param method   GET, POST, PUT, DELETE
 * @param path     Javalin path with {@code {param}}s, as OpenAPI writes them
 * @param who      who may call it (documentation; each handler checks for itself)
 * @param tag      the OpenAPI tag (group)
 * @param summary  one line for people
 * @param params   query parameters and headers
 * @param request  the request body, or null
 * @param status   the success status
 * @param response the success body, or null for none (204, 304)
 * @param errors   the error statuses it can answer besides the common ones
 * @param handler  the handler
 */
public record Route(HandlerType method, String path, Who who, String tag, String summary, List<Param> params, Body request,
                   int status, Body response, List<Integer> errors, Handler handler) {
    /** Who may call a route. */
    public enum Who {
        /** Anyone, no credential. */
        PUBLIC("anyone"),
        /** An enrollment token in the body. */
        ENROLL("an enrollment token in the body"),
        /** The agent named in the path, with its own credential. */
        AGENT("the agent named in the path"),
        /** The agent named in the path, or an operator token of any role. */
        AGENT_OR_VIEWER("the agent named in the path, or any operator"),
        VIEWER("viewer, operator or admin"),
        OPERATOR("operator or admin"),
        ADMIN("admin");

        private final String text;

        Who(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        /** Whether a credential is needed before the handler runs. */
        public boolean authenticated() {
            return this != PUBLIC && this != ENROLL;
        }
    }

    /** A query parameter or header. */
    public record Param(String name, String in, String type, String description) {
        public static Param query(String name, String type, String description) {
            return new Param(name, "query", type, description);
        }

        public static Param header(String name, String description) {
            return new Param(name, "header", "string", description);
        }
    }

    /**
     * A body: a media type and what is in it.
     *
     * @param mediaType {@code application/json}, {@code application/yaml}, {@code text/event-stream}
     * @param type      the Java type whose schema describes it (null: free-form)
     * @param list      whether it is a JSON array of {@code type}
     */
    public record Body(String mediaType, Class<?> type, boolean list) {
        public static Body json(Class<?> type) {
            return new Body("application/json", type, false);
        }

        public static Body jsonList(Class<?> type) {
            return new Body("application/json", type, true);
        }

        public static Body yaml() {
            return new Body("application/yaml", null, false);
        }

        public static Body stream() {
            return new Body("text/event-stream", null, false);
        }
    }
}
