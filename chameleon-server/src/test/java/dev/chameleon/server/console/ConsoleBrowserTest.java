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
            if (n == 1) {
                reports.add(Fleet.report("tp-1", "event", proposal(facts))); // a learned-tuning proposal for the qemu platform only
            }
            Http.Response r = fleet.report(a, reports);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
    }

    /** A {@code tuning-proposal} event as FleetLink sends it, for the platform of {@code facts}. */
    static Map<String, Object> proposal(Map<String, Object> facts) {
        dev.chameleon.engine.Fingerprint fp = dev.chameleon.engine.Fingerprint.of(dev.chameleon.model.FactSet.of(facts, Map.of()));
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("type", "tuning-proposal");
        ev.put("time", "2026-12-04T20:00:00Z");
        ev.put("summary", "tuning backlog: proposal for " + fp.key() + ", gain +12.0%");
        ev.put("tuning", "backlog");
        ev.put("fingerprint", fp.fields());
        ev.put("objective", "maximise /usr/local/bin/bench-backlog");
        ev.put("baseline", Map.of("status", "measured", "measurements", List.of(100.0, 102.0, 98.0), "mean", 100.0, "sd", 2.0));
        ev.put("best", Map.of("trial", 2, "settings", Map.of("sysctl:net.core.somaxconn", "8192"), "status", "measured",
                "measurements", List.of(112.0, 112.0), "mean", 112.0, "sd", 0.0));
        ev.put("gain", Map.of("percent", 12.0, "ci95Low", 3.0, "ci95High", 21.0, "from", "confirmation", "significant", true));
        ev.put("proposal", "# Proposed by chameleon tune from /etc/chameleon/policies.d/backlog.yaml:1 (tuning backlog)\n"
                + "apiVersion: chameleon/v1\nkind: Policy\nmetadata:\n  name: tuned-backlog\n  description: 'Learned by chameleon tune'\n"
                + "spec:\n  priority: 70\n  when: '" + fp.condition().replace("'", "''") + "'\n"
                + "  settings:\n    - sysctl: {key: net.core.somaxconn, value: 8192}\n");
        return ev;
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
            // ---- its learned-tuning proposals: the evidence, the policy, pushed as a policy set ----
            String evidence = b.textContains("proposal-evidence-0", "maximise /usr/local/bin/bench-backlog");
            assertThat(evidence).contains("baseline 100 ± 2 (n=3)").contains("best trial 2: 112 ± 0 (n=2) — sysctl:net.core.somaxconn=8192")
                    .contains("gain +12.0 % (95 % interval +3.0 % .. +21.0 %, from the confirmation)");
            assertThat(b.text("proposal-yaml-0")).contains("kind: Policy").contains("value: 8192");
            b.visible("proposal-name-0").clear();
            b.visible("proposal-name-0").sendKeys("tuned-backlog-qemu");
            b.driver.findElement(By.id("proposal-push-0")).click();
            assertThat(b.textContains("proposal-result-0", "stored as version 1 of tuned-backlog-qemu")).contains("roll it out");
            assertThat(fleet.http.get("/api/v1/policies/tuned-backlog-qemu/versions/1", operator).body()).contains("value: 8192");
            b.screenshot("03b-agent-proposal");

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
            // an agent's proposals: shown, without a push
            b.open("/ui/#/agents/" + agents.get(0).id());
            b.textContains("proposal-evidence-0", "maximise");
            assertThat(b.shown("proposal-yaml-0")).isTrue();
            assertThat(b.shown("proposal-push-0")).isFalse();
            assertThat(b.shown("proposal-name-0")).isFalse();
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

    /**
     * Colour arithmetic of WCAG 2.x in the page: rgba(css colour), over(top, under) (alpha blending), lum(colour) (relative
     * luminance), background(element) (the first opaque background up its ancestors, partly transparent ones blended over
     * what is under them, the page canvas white) and ratio(a, b) (the contrast ratio, 1 to 21).
     */
    static final String COLOURS = """
            const rgba = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
              const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
            const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
            const lum = (c) => { const l = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
              return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
            const background = (e) => { const layers = [];
              for (let a = e; a && a.nodeType === 1; a = a.parentElement) {
                const b = rgba(getComputedStyle(a).backgroundColor);
                if (b && b[3] > 0) { layers.push(b); if (b[3] >= 1) break; } }
              let bg = [255, 255, 255, 1];
              for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
              return bg; };
            const ratio = (a, b) => { const l1 = lum(a), l2 = lum(b); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); };
            """;

    /** Each console page's input, select, textarea and button without an accessible name, as "page: tag#id". */
    static final String UNNAMED = """
            const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
            const text = (e) => (e ? e.textContent : '').trim();
            const out = [];
            let checked = 0;
            for (const e of document.querySelectorAll('input, select, textarea, button')) {
              if (e.type === 'hidden' || !shown(e)) continue;
              checked++;
              const named = [...(e.labels || [])].some((l) => text(l) !== '')
                || (e.getAttribute('aria-label') || '').trim() !== ''
                || (e.getAttribute('aria-labelledby') || '').split(/\\s+/).some((id) => id && text(document.getElementById(id)) !== '')
                || (e.tagName === 'BUTTON' && text(e) !== '')
                || (['submit', 'button', 'reset'].includes(e.type) && e.tagName === 'INPUT' && (e.value || '').trim() !== '');
              if (!named) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.outerHTML.slice(0, 120));
            }
            return {checked: checked, unnamed: out};
            """;

    /**
     * Every shown element with text of its own whose WCAG 2.x contrast ratio (relative luminance of sRGB, as WCAG 2.2
     * defines it) against the first non-transparent background up its ancestors (partly transparent ones blended over what
     * is under them; the page canvas is white) is below 4.5, or below 3 for large text (24px, or 18.66px bold). SVG text
     * (the charts) is painted with its fill, so its fill is its colour.
     */
    static final String LOW_CONTRAST = COLOURS + """
            const out = [];
            let checked = 0;
            for (const e of document.body.querySelectorAll('*')) {
              if (!e.getClientRects().length) continue;
              const st = getComputedStyle(e);
              if (st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) continue;
              if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '')) continue;
              const svg = e instanceof SVGElement;
              let fg = rgba(svg ? st.fill : st.color);
              if (!fg) continue;
              const bg = background(svg ? e.closest('div') || e : e);
              fg = over(fg, bg);
              const r = ratio(fg, bg);
              const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
              checked++;
              const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
              if (r < need) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && !svg ? '.' + e.className : '')
                + ' "' + e.textContent.trim().slice(0, 40) + '" ' + r.toFixed(2) + ' < ' + need + ' (' + (svg ? st.fill : st.color)
                + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(',') + '))');
            }
            return {checked: checked, low: out};
            """;

    /**
     * The focused element: its id (or tag and text), its focus indicator (an outline, whose colour must stand out 3:1 from
     * the background around it, WCAG 1.4.11, or a box-shadow; null when it has none) and its link target.
     */
    static final String FOCUSED = COLOURS + """
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            const st = getComputedStyle(e);
            let ring = null;
            if (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0) {
              const around = background(e.parentElement || e);
              const r = ratio(over(rgba(st.outlineColor), around), around);
              ring = r >= 3 ? 'outline' : null;
              if (!ring) ring = 'outline ' + st.outlineColor + ' only ' + r.toFixed(2) + ':1 against rgb('
                + around.slice(0, 3).map(Math.round).join(',') + ')';
            } else if (st.boxShadow && st.boxShadow !== 'none') {
              ring = 'box-shadow';
            }
            return {name: e.id || (e.tagName.toLowerCase() + ' "' + (e.textContent || '').trim().slice(0, 30) + '"'),
                    ring: ring, href: e.getAttribute('href') || '', skip: e.classList.contains('skip')};
            """;

    @Test
    void everyPageHasNamedControlsAKeyboardPathWithAVisibleFocusAndAaContrast() {
        try (Browser b = new Browser(fleet.server.url())) {
            List<String> problems = new ArrayList<>();
            // ---- sign-in ----
            b.open("/ui/");
            b.visible("token");
            // the checks themselves catch a grey-on-white text (2.85:1) and an input without a name: added, checked, removed
            b.script("document.body.insertAdjacentHTML('beforeend', '<span id=\"probe-text\" style=\"color:#999;background:#fff\">grey</span>"
                    + "<input id=\"probe-input\" type=\"text\">')");
            assertThat(String.valueOf(b.script(UNNAMED))).contains("input#probe-input");
            assertThat(String.valueOf(b.script(LOW_CONTRAST))).contains("span#probe-text \"grey\" 2.85 < 4.5");
            b.script("document.getElementById('probe-text').remove(); document.getElementById('probe-input').remove()");
            checkPage(b, "sign-in", List.of("token", "signin-submit"), problems);
            b.signIn("cht_nosuch.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            b.textContains("signin-error", "sign in again");
            checkPage(b, "sign-in refused", List.of("token", "signin-submit"), problems);
            // ---- fleet ----
            b.signIn(operator);
            b.textContains("count-agents", "3");
            b.await("the platform chart drawn", d -> d.findElements(By.cssSelector("#platform-chart svg text")).size() >= 3 ? true : null);
            List<String> header = List.of("nav-fleet", "nav-policies", "nav-events", "sign-out");
            List<String> fleetOrder = new ArrayList<>(header);
            fleetOrder.addAll(List.of("where", "labels", "apply-filter"));
            List<Map<String, Object>> fleetPath = checkPage(b, "fleet", fleetOrder, problems);
            // ---- the skip link, followed with Enter, puts focus on the page's content ----
            b.script("document.body.setAttribute('tabindex', '-1'); document.body.focus(); document.body.removeAttribute('tabindex')");
            new org.openqa.selenium.interactions.Actions(b.driver).sendKeys(org.openqa.selenium.Keys.TAB).sendKeys(org.openqa.selenium.Keys.ENTER)
                    .perform();
            assertThat(b.script("return document.activeElement.id")).as("focus after Enter on the skip link").isEqualTo("main");
            // ---- following an agent's link with Enter alone ----
            b.script("document.body.setAttribute('tabindex', '-1'); document.body.focus(); document.body.removeAttribute('tabindex')");
            String link = null;
            for (int i = 0; i < fleetPath.size() + 1 && link == null; i++) {
                new org.openqa.selenium.interactions.Actions(b.driver).sendKeys(org.openqa.selenium.Keys.TAB).perform();
                @SuppressWarnings("unchecked")
                Map<String, Object> f = (Map<String, Object>) b.script(FOCUSED);
                if (f != null && String.valueOf(f.get("href")).startsWith("#/agents/")) {
                    link = String.valueOf(f.get("href"));
                }
            }
            assertThat(link).as("Tab reaches a link to an agent on the fleet page: " + fleetPath).isNotNull();
            new org.openqa.selenium.interactions.Actions(b.driver).sendKeys(org.openqa.selenium.Keys.ENTER).perform();
            String agentId = link.substring("#/agents/".length());
            assertThat(b.textContains("agent-title", agentId)).contains(agentId);
            assertThat(b.driver.getCurrentUrl()).endsWith(link);
            // ---- an agent ----
            b.await("the cost chart drawn", d -> d.findElements(By.cssSelector("#cost-chart svg path")).size() >= 2 ? true : null);
            List<String> agentOrder = new ArrayList<>(header);
            agentOrder.add("fact-search");
            checkPage(b, "agent", agentOrder, problems);
            // ---- an agent with a learned-tuning proposal: its name field and push button in the path ----
            b.open("/ui/#/agents/" + agents.get(0).id());
            b.visible("proposal-push-0");
            b.await("the cost chart drawn", d -> d.findElements(By.cssSelector("#cost-chart svg path")).size() >= 2 ? true : null);
            List<String> proposalOrder = new ArrayList<>(agentOrder);
            proposalOrder.addAll(List.of("proposal-name-0", "proposal-push-0"));
            checkPage(b, "agent with a proposal", proposalOrder, problems);
            // ---- policies: the list, then the editor of a set ----
            b.open("/ui/#/policies");
            b.visible("new-name");
            List<String> policiesOrder = new ArrayList<>(header);
            policiesOrder.addAll(List.of("new-name", "new-open"));
            checkPage(b, "policies", policiesOrder, problems);
            b.open("/ui/#/policies/a11y-check");
            b.visible("editor");
            b.visible("valid");
            List<String> editorOrder = new ArrayList<>(header);
            editorOrder.addAll(List.of("editor", "simulate", "comment", "upload"));
            checkPage(b, "policy editor", editorOrder, problems);
            WebElement editor = b.visible("editor");
            b.replaceText(editor, BROKEN);
            b.visible("invalid");
            b.await("a gutter line marked", d -> d.findElement(By.cssSelector("#gutter .bad")));
            checkPage(b, "policy editor with an error", editorOrder, problems);
            b.replaceText(editor, BROKEN.replace("value: 8192", "value: 8192}"));
            b.visible("valid");
            b.driver.findElement(By.id("simulate")).click();
            b.textContains("sim-headline", "would change");
            checkPage(b, "policy editor with a simulation", editorOrder, problems);
            // ---- events ----
            b.driver.findElement(By.id("nav-events")).click();
            b.await("the feed live", d -> "true".equals(d.findElement(By.id("feed-state")).getAttribute("data-live")) ? true : null);
            b.visible("audit");
            checkPage(b, "events", header, problems);
            assertThat(problems).as("accessibility problems on the console's pages").isEmpty();
        }
    }

    /**
     * Checks the page shown: names of its controls, contrast of its text, and its keyboard path from the top: the skip link
     * first, then {@code order} as a subsequence, every stop with a focus indicator and in document order. Adds what fails to
     * {@code problems}; returns the path (the focused elements, in order).
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> checkPage(Browser b, String page, List<String> order, List<String> problems) {
        Map<String, Object> named = (Map<String, Object>) b.script(UNNAMED);
        assertThat(((Number) named.get("checked")).intValue()).as(page + ": controls checked for a name").isGreaterThan(0);
        for (Object o : (List<Object>) named.get("unnamed")) {
            problems.add(page + ": no accessible name: " + o);
        }
        Map<String, Object> contrast = (Map<String, Object>) b.script(LOW_CONTRAST);
        assertThat(((Number) contrast.get("checked")).intValue()).as(page + ": texts checked for contrast").isGreaterThan(order.size());
        for (Object o : (List<Object>) contrast.get("low")) {
            problems.add(page + ": contrast: " + o);
        }
        // focus at the top of the page (the body), as after a fresh load, then Tab through it until focus wraps
        b.script("window.scrollTo(0, 0); document.body.setAttribute('tabindex', '-1'); document.body.focus();"
                + " document.body.removeAttribute('tabindex')");
        List<Map<String, Object>> path = new ArrayList<>();
        List<WebElement> stops = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            new org.openqa.selenium.interactions.Actions(b.driver).sendKeys(org.openqa.selenium.Keys.TAB).perform();
            Map<String, Object> f = (Map<String, Object>) b.script(FOCUSED);
            if (f == null || (i > 0 && Boolean.TRUE.equals(f.get("skip")))) {
                break; // back to the top: the whole page was walked
            }
            path.add(f);
            stops.add((WebElement) b.script("return document.activeElement"));
            Object ring = f.get("ring");
            if (!"outline".equals(ring) && !"box-shadow".equals(ring)) {
                problems.add(page + ": no visible focus indicator on " + f.get("name") + (ring == null ? "" : ": " + ring));
            }
        }
        List<String> names = path.stream().map(f -> String.valueOf(f.get("name"))).toList();
        System.out.println("a11y " + page + ": " + named.get("checked") + " controls, " + contrast.get("checked") + " texts, Tab path " + names);
        if (path.isEmpty() || !Boolean.TRUE.equals(path.get(0).get("skip"))) {
            problems.add(page + ": the first Tab does not reach the skip link: " + names);
        }
        int at = 0;
        for (String want : order) {
            int found = names.subList(at, names.size()).indexOf(want);
            if (found < 0) {
                problems.add(page + ": Tab does not reach " + want + " after " + names.subList(0, at) + " (path " + names + ")");
                break;
            }
            at += found + 1;
        }
        for (int i = 1; i < stops.size(); i++) {
            Object follows = b.script("return !!(arguments[0].compareDocumentPosition(arguments[1]) & Node.DOCUMENT_POSITION_FOLLOWING)",
                    stops.get(i - 1), stops.get(i));
            if (!Boolean.TRUE.equals(follows)) {
                problems.add(page + ": Tab goes back in the page from " + names.get(i - 1) + " to " + names.get(i));
            }
        }
        return path;
    }
}
