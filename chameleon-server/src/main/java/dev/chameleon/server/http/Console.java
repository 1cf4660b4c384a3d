package dev.chameleon.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The web console (docs/console.md): static files only, served at {@code /ui/} from the jar's
 * {@code console/} folder, and ECharts from its WebJar at {@code /ui/lib/echarts/dist/echarts.min.js}. The page holds
 * no fleet data: it signs in with an API token and reads and writes everything through
 * {@code /api/v1}, where every call is authenticated and authorized as the CLI's are. So the
 * files served without a token are exactly the sign-in page and its assets.
 */
public final class Console {
    /** Where the console is served. */
    public static final String PATH = "/ui";
    /** The ECharts version of the WebJar in the pom (the folder inside the jar is named after it). */
    static final String ECHARTS = "5.3.1";

    /**
     * Scripts only from this server (no inline script), no framing, no referrer, nothing cached
     * stale. ECharts and the page set element styles, hence {@code style-src 'unsafe-inline'}.
     */
    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
                    + " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    private Console() {
    }

    /** Registers the static files and the redirects of {@code /} and {@code /ui} to {@code /ui/}. */
    public static void configure(JavalinConfig config) {
        config.staticFiles.add(sf -> {
            sf.hostedPath = PATH;
            sf.directory = "/console";
            sf.location = Location.CLASSPATH;
            sf.headers = HEADERS;
        });
        config.staticFiles.add(sf -> {
            sf.hostedPath = PATH + "/lib/echarts";
            sf.directory = "/META-INF/resources/webjars/echarts/" + ECHARTS;
            sf.location = Location.CLASSPATH;
            sf.headers = HEADERS;
            // only the minified build is served, not the whole package
            sf.skipFileFunction = req -> !req.getRequestURI().equals(PATH + "/lib/echarts/dist/echarts.min.js");
        });
        config.routes.before(ctx -> {
            if (ctx.path().equals("/") || ctx.path().equals(PATH)) {
                ctx.redirect(PATH + "/");
            }
        });
    }
}
