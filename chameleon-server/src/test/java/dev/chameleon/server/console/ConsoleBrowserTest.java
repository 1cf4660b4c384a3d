package dev.chameleon.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.server.Fleet;
import dev.chameleon.server.Http;
import dev.chameleon.server.MovableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The web console in a real headless Chromium ({@link Browser}) against a real server on a real
 * PostgreSQL. The agents here are stand-ins: enrolled and reporting through the agents' API with
 * the real fact trees the sensors produced from captured machines (the golden facts of
 * chameleon-sensors), as the agent's outbox sends them (docs/console.md says what this covers and
 * what it does not).
 */
@Timeout(300)
class ConsoleBrowserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path GOLDEN = Path.of("..", "chameleon-sensors", "src", "test", "resources", "golden");
    static Fleet fleet;
    /** A policy set whose last line misses its closing brace. */
    static final String BROKEN = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: fleet-backlog}
            spec:
              priority: 70
              settings:
                - sysctl: {key: net.core.somaxconn, value: 8192
            """;
    static String operator;
    static final List<Fleet.Agent> agents = new ArrayList<>();

    @BeforeAll
    static void fleet() throws IOException {
        fleet = Fleet.start(Fleet.Db.POSTGRESQL);
        operator = fleet.token("operator");
        String enroll = fleet.enrollToken(Map.of("ring", "web"), 10);
        int n = 0;
        for (String machine : List.of("qemu-q35-virtio", "cloud-init-Ec2-hvm", "virt-what-rhel5-xen-domU-pv")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> facts = JSON.readValue(Files.readString(GOLDEN.resolve(machine + ".json")), Map.class);
            Fleet.Agent a = fleet.enroll(enroll, machine, facts);
            agents.add(a);
            n++;
            List<Map<String, Object>> reports = new ArrayList<>();
            // the Xen machine's agent reports /proc/meminfo unreadable (its memory sensor has problems): a failing sensor
            reports.add(Fleet.report("f-" + n, "facts", n == 3 ? Fleet.withUnreadableMeminfo(facts) : facts));
            reports.add(Fleet.report("cv-" + n, "current-values", Map.of("sysctl:net.core.somaxconn", "4096")));
            reports.add(Fleet.report("p-" + n, "plan", plan(n)));
            for (int i = 0; i < 5; i++) {
                reports.add(status("s-" + n + "-" + i, i, n));
            }
            Http.Response r = fleet.report(a, reports);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
    }

    static Map<String, Object> plan(int n) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("key", "sysctl:vm.swappiness");
        entry.put("action", n == 1 ? "change" : "ok");
        entry.put("current", n == 1 ? "60" : "10");
        entry.put("desired", "10");
        entry.put("policy", "memory-swappiness");
        entry.put("source", "pack:resource-balancing.yaml:5");
        return Map.of("entries", List.of(entry), "summary", Map.of("change", n == 1 ? 1 : 0, "ok", n == 1 ? 0 : 1));
    }

    static Map<String, Object> status(String id, int i, int n) {
        Map<String, Object> r = Fleet.report(id, "status", Map.of("mode", "apply", "pendingChanges", n == 1 ? 1 : 0, "drift", 0,
                "bundleVersion", 0, "rssBytes", (60 + i) * 1048576L, "cpuPercent", 0.5 + i * 0.1));
        r.put("time", java.time.Instant.now().minusSeconds(60L * (5 - i)).toString());
        return r;
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void unauthenticatedBrowserGetsOnlyTheSignInPageAndABadTokenStaysThere() {
        try (Browser b = new Browser(fleet.server.url())) {
            b.open("/");
            b.visible("signin");
            assertThat(b.driver.getCurrentUrl()).endsWith("/ui/");
            assertThat(b.shown("view")).isFalse();
            assertThat(b.shown("top")).isFalse();
            // the API answers nothing without a token
            assertThat(fleet.http.get("/api/v1/fleet/summary", null).status()).isEqualTo(401);
            assertThat(fleet.http.get("/api/v1/agents", null).status()).isEqualTo(401);
            // the files served without a token are the sign-in page's: of the ECharts WebJar only the minified build
            Http.Response page = fleet.http.get("/ui/", null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.header("content-security-policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
            assertThat(fleet.http.get("/ui/console.js", null).status()).isEqualTo(200);
            assertThat(fleet.http.get("/ui/lib/echarts/dist/echarts.min.js", null).status()).isEqualTo(200);
            assertThat(fleet.http.get("/ui/lib/echarts/dist/echarts.js", null).status()).isEqualTo(404);
            assertThat(fleet.http.get("/ui/lib/echarts/package.json", null).status()).isEqualTo(404);
            assertThat(fleet.http.get("/ui/../db/migration/h2/V1_0_0__fleet.sql", null).status()).isIn(400, 404);
            b.signIn("cht_nosuch.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            assertThat(b.textContains("signin-error", "sign in again")).contains("no longer accepts");
            assertThat(b.shown("view")).isFalse();
            assertThat(b.script("return sessionStorage.getItem('chameleon.token')")).isNull();
            b.screenshot("01-sign-in");
        }
    }

    @Test
    void operatorSeesTheFleetFiltersItOpensAnAgentAndRollsOutAPolicyToTheCanary() throws Exception {
        try (Browser b = new Browser(fleet.server.url())) {
            b.signIn(operator);
            // ---- fleet overview: counts and the chart, counted by the database ----
            assertThat(b.textContains("count-agents", "3")).startsWith("3");
            assertThat(b.text("count-pending")).startsWith("1");
            b.await("the platform chart drawn", d -> d.findElements(By.cssSelector("#platform-chart svg path")).size() >= 3 ? true : null);
            String chartLabel = b.visible("platform-chart").getAttribute("aria-label");
            assertThat(chartLabel).contains("qemu × none × none 1").contains("unknown × aws × none 1").contains("xen × unknown × none 1");
            List<String> drawn = b.driver.findElements(By.cssSelector("#platform-chart svg text")).stream().map(WebElement::getText).toList();
            assertThat(drawn).contains("qemu × none × none", "unknown × aws × none", "xen × unknown × none");
            assertThat(drawn.stream().filter("1"::equals).count()).as("a bar label per group: " + drawn).isGreaterThanOrEqualTo(3);
            List<WebElement> groups = b.driver.findElements(By.cssSelector("#platform-table tbody tr"));
            assertThat(groups).hasSize(3);
            assertThat(b.textContains("agents-total", "3 agents match")).isEqualTo("3 agents match");
            assertThat(b.driver.findElements(By.cssSelector("#agents tbody tr"))).hasSize(3);
            // failing sensors: the Xen agent's, counted in the totals and in its platform group only
            assertThat(b.text("count-sensors")).startsWith("1").contains("with failing sensors");
            for (WebElement g : groups) {
                List<WebElement> cells = g.findElements(By.tagName("td"));
                assertThat(cells.get(cells.size() - 1).getText()).as(g.getText())
                        .isEqualTo(cells.get(0).getText().startsWith("xen") ? "1" : "0");
            }
            b.screenshot("02-fleet");
            b.driver.findElement(By.linkText("virt-what-rhel5-xen-domU-pv")).click();
            assertThat(b.textContains("agent-title", "virt-what-rhel5-xen-domU-pv")).contains(agents.get(2).id());
            assertThat(b.text("agent-failing-sensors")).isEqualTo("1");
            assertThat(b.text("failing-sensors")).contains("memory").contains("/proc/meminfo").contains("permission denied");
            b.open("/ui/#/fleet");
            b.visible("agents");

            // ---- filter by CEL and by label; a selector that does not compile is shown with its position ----
            WebElement where = b.visible("where");
            where.sendKeys("platform.hypervisor == \"qemu\"");
            b.driver.findElement(By.id("apply-filter")).click();
            b.textContains("agents-total", "1 agent matches");
            b.visible("labels").sendKeys("ring=db");
            b.driver.findElement(By.id("apply-filter")).click();
            b.textContains("agents-total", "0 agents match");
            b.open("/ui/#/fleet?where=" + java.net.URLEncoder.encode("platform.hypervisor ==", java.nio.charset.StandardCharsets.UTF_8));
            assertThat(b.textContains("filter-error", "selector:1:")).contains("does not compile");

            // ---- one agent: platform with evidence and confidence, searchable facts, plan, cost chart ----
            b.open("/ui/#/fleet");
            b.visible("agents");
            b.driver.findElement(By.linkText("qemu-q35-virtio")).click();
            assertThat(b.textContains("agent-title", "qemu-q35-virtio")).contains(agents.get(0).id());
            assertThat(b.text("platform-answer")).isEqualTo("qemu × none × none");
            assertThat(b.text("platform-confidence")).isEqualTo("66 %");
            assertThat(b.driver.findElements(By.cssSelector("#evidence tbody tr"))).hasSizeGreaterThan(2);
            assertThat(b.text("plan")).contains("sysctl:vm.swappiness").contains("change").contains("60").contains("10");
            b.await("the cost chart drawn", d -> d.findElements(By.cssSelector("#cost-chart svg path")).size() >= 2 ? true : null);
            b.visible("fact-search").sendKeys("totalbytes");
            b.await("the fact search found memory.totalBytes", d -> d.findElements(By.cssSelector("#facts-tree .leaf.hit")).stream()
                    .anyMatch(leaf -> leaf.isDisplayed() && leaf.getText().contains("totalBytes = 1006567424")) ? true : null);
            // leaves that do not match are hidden
            assertThat(b.driver.findElements(By.cssSelector("#facts-tree .leaf")).stream().filter(WebElement::isDisplayed)
                    .allMatch(l -> l.getText().toLowerCase(java.util.Locale.ROOT).contains("totalbytes"))).isTrue();
            b.screenshot("03-agent");

            // ---- policies: a syntax error shown at its line, fixed, simulated, uploaded ----
            b.open("/ui/#/policies/fleet-backlog");
            WebElement editor = b.visible("editor");
            b.visible("valid"); // the starting text compiles
            b.replaceText(editor, BROKEN);
            String error = b.textContains("validation", "fleet-backlog.yaml:");
            assertThat(error).containsPattern("line \\d+");
            String badLine = b.await("a gutter line marked", d -> d.findElement(By.cssSelector("#gutter .bad")).getAttribute("data-line"));
            assertThat(error).contains("fleet-backlog.yaml:" + badLine + ":");
            b.screenshot("04-policy-error");
            b.replaceText(editor, BROKEN.replace("value: 8192", "value: 8192}"));
            assertThat(b.textContains("valid", "compiles")).contains("fleet-backlog");
            assertThat(b.driver.findElements(By.cssSelector("#gutter .bad"))).isEmpty();
            b.driver.findElement(By.id("simulate")).click();
            assertThat(b.textContains("sim-headline", "These 3 agents would change")).contains("of 3");
            String group = b.text("sim-groups");
            assertThat(group).contains("sysctl:net.core.somaxconn").contains("4096").contains("8192");
            b.script("document.getElementById('simulation').scrollIntoView()");
            b.screenshot("05-simulation");
            b.visible("comment").sendKeys("backlog for the web tier");
            b.driver.findElement(By.id("upload")).click();
            assertThat(b.textContains("uploaded", "version 1")).isEqualTo("stored as version 1");
            assertThat(fleet.http.get("/api/v1/policies/fleet-backlog", operator).json().get(0).get("comment").asText())
                    .isEqualTo("backlog for the web tier");

            // ---- rollout: an assignment, then version 1 to one canary ----
            b.await("the page reloaded with the version", d -> d.findElements(By.id("versions")).isEmpty() ? null : true);
            b.visible("assign-name").sendKeys("web");
            WebElement sel = b.visible("assign-selector");
            sel.clear();
            sel.sendKeys("labels.ring == \"web\"");
            b.driver.findElement(By.id("assign-create")).click();
            Fleet.Agent canary = agents.get(1);
            b.visible("version-web").sendKeys("1");
            b.visible("canary-web").sendKeys(canary.id());
            WebElement steps = b.visible("steps-web");
            steps.clear();
            steps.sendKeys("50,100");
            b.driver.findElement(By.id("start-web")).click();
            String rollout = b.await("the rollout running", d -> {
                String t = d.findElement(By.cssSelector("tr[data-assignment=web] .rollout-state")).getText();
                return t.contains("running") ? t : null;
            });
            assertThat(rollout).contains("v1 running, step 0/2").contains(canary.id());
            b.visible("advance-web");
            b.script("document.getElementById('rollouts').scrollIntoView()");
            b.screenshot("06-rollout");

            // ---- events: the canary's change arrives in the live feed; the audit log has the operator's writes ----
            b.driver.findElement(By.id("nav-events")).click();
            b.await("the feed live", d -> "true".equals(d.findElement(By.id("feed-state")).getAttribute("data-live")) ? true : null);
            Http.Response bundle = fleet.http.get("/api/v1/agents/" + canary.id() + "/bundle", canary.credential());
            assertThat(bundle.status()).isEqualTo(200);
            assertThat(bundle.body()).contains("fleet-backlog");
            Http.Response other = fleet.http.get("/api/v1/agents/" + agents.get(2).id() + "/bundle", agents.get(2).credential());
            assertThat(other.body()).doesNotContain("fleet-backlog");
            // the stand-in canary applies it and reports the change set, shaped as the agent's (Event.ChangeSetRecorded)
            String entry = "verified sysctl:net.core.somaxconn: 4096 -> 8192 (undo: sysctl -w net.core.somaxconn='4096')";
            Http.Response sent = fleet.report(canary, List.of(Fleet.report("cs-canary", "change-set",
                    Map.of("id", "20261204-130000-001", "status", "applied", "ok", true, "message", "1 change(s) applied and verified",
                            "entries", List.of(entry)))));
            assertThat(sent.status()).as(sent.toString()).isEqualTo(200);
            String feed = b.await("the change set in the feed", d -> {
                String t = d.findElement(By.id("feed")).getText();
                return t.contains("change-set") && t.contains(canary.id()) ? t : null;
            });
            assertThat(feed).contains(canary.id());
            String audit = b.textContains("audit", "rollout.start");
            assertThat(audit).contains("policy.upload").contains("assignment.create").contains("web/");
            b.screenshot("07-events");
            // the canary's page has the change in its history
            b.open("/ui/#/agents/" + canary.id());
            assertThat(b.textContains("changes", "net.core.somaxconn")).contains("4096 -> 8192").contains("applied and verified");
        }
    }

    @Test
    void aViewerSeesNoWriteControlsAndItsWritesAreRefusedInThePageAndAtTheApi() {
        String viewer = fleet.token("viewer");
        long versions = fleet.count("policy_versions");
        try (Browser b = new Browser(fleet.server.url())) {
            b.signIn(viewer);
            b.textContains("who", "(viewer)");
            b.open("/ui/#/policies/viewer-try");
            b.visible("editor");
            b.visible("simulate"); // reading and simulating are a viewer's
            assertThat(b.shown("upload")).isFalse();
            assertThat(b.shown("assign-create")).isFalse();
            assertThat(b.shown("new-open")).isFalse();
            // the page's own API call with the viewer's token is refused by the server
            Object status = b.asyncScript("const done = arguments[arguments.length - 1];"
                    + "fetch('/api/v1/policies/viewer-try', {method: 'PUT', headers: {Authorization: 'Bearer ' + sessionStorage.getItem('chameleon.token'),"
                    + " 'Content-Type': 'application/yaml'}, body: 'apiVersion: chameleon/v1'}).then(r => done(r.status));");
            assertThat(((Number) status).intValue()).isEqualTo(403);
        }
        Http.Response r = fleet.http.put("/api/v1/policies/viewer-try", viewer, "application/yaml",
                "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  settings: []\n");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().get("code").asText()).isEqualTo("forbidden");
        assertThat(fleet.count("policy_versions")).isEqualTo(versions);
    }

    @Test
    void aRevokedTokenSendsThePageBackToSignIn() {
        Http.Response created = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "short-lived", "role", "operator")));
        assertThat(created.status()).isEqualTo(201);
        JsonNode t = created.json();
        try (Browser b = new Browser(fleet.server.url())) {
            b.signIn(t.get("token").asText());
            b.textContains("count-agents", "3");
            assertThat(fleet.http.delete("/api/v1/tokens/" + t.get("id").asText(), fleet.admin).status()).isEqualTo(204);
            b.driver.findElement(By.id("nav-policies")).click();
            assertThat(b.textContains("signin-error", "sign in again")).contains("no longer accepts");
            assertThat(b.shown("view")).isFalse();
            assertThat(b.script("return sessionStorage.getItem('chameleon.token')")).isNull();
            b.screenshot("08-revoked");
        }
    }

    @Test
    void anExpiredTokenSendsThePageBackToSignInSayingItExpired() {
        // a server of its own whose clock the test moves (dev.chameleon.server.MovableClock, as the token and rollout
        // tests move it): a real token made through the API with one hour to live, then the hour passes on the server
        MovableClock clock = new MovableClock();
        try (Fleet own = Fleet.start(Fleet.Db.POSTGRESQL, clock, List.of())) {
            Http.Response created = own.http.post("/api/v1/tokens", own.admin, Http.json(Map.of("name", "one-hour", "role", "operator",
                    "expiresInSeconds", 3600)));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String id = created.json().get("id").asText();
            String token = created.json().get("token").asText();
            try (Browser b = new Browser(own.server.url())) {
                b.signIn(token);
                b.textContains("count-agents", "0");
                clock.advance(java.time.Duration.ofMinutes(61));
                b.driver.findElement(By.id("nav-policies")).click();
                assertThat(b.textContains("signin-error", "expired")).contains("This token expired").contains(id)
                        .contains("Sign in with a new token");
                assertThat(b.shown("view")).isFalse();
                assertThat(b.script("return sessionStorage.getItem('chameleon.token')")).isNull();
                b.screenshot("09-expired");
                // signing in with it again is refused, saying why
                b.signIn(token);
                assertThat(b.textContains("signin-error", "expired")).contains("This token expired");
                assertThat(b.shown("view")).isFalse();
            }
        }
    }
}
