package dev.chameleon.cli;

import static dev.chameleon.cli.NetnsAgents.outputs;
import static dev.chameleon.cli.NetnsAgents.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.cli.NetnsAgents.NsAgent;
import dev.chameleon.server.Postgres;
import dev.chameleon.server.console.Browser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The web console end to end with real parts only: a real server on a real PostgreSQL, two real
 * agents ({@code chameleon.jar}) in network namespaces with captured machines' trees
 * ({@link NetnsAgents}), and Debian's headless Chromium ({@link Browser}). An operator signs in,
 * sees the fleet chart count the two agents by platform, opens an agent, types a policy with a
 * syntax error and sees it at its line, fixes it, previews the simulation, uploads it, assigns it
 * and rolls it out to one canary from the page, and watches the canary's change set arrive in the
 * live events feed, while the canary's namespace really has the new sysctl and the other agent's
 * does not. Screenshots under chameleon-cli/target/console-screenshots/.
 */
@Timeout(600)
class ConsoleFleetIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        NetnsAgents.requireRoot();
    }

    static final String BROKEN = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: console-backlog}
            spec:
              priority: 70
              settings:
                - sysctl: {key: net.core.somaxconn, value: 8192
            """;

    static final String FIXED = BROKEN.replace("value: 8192", "value: 8192}");

    @Test
    void signInSeeTheFleetOpenAnAgentFixAPolicyPreviewItAndWatchTheCanaryChange() throws Exception {
        List<NsAgent> agents = new ArrayList<>();
        try (FleetServer server = new FleetServer(tmp.resolve("server"), Postgres.get().newDatabase())) {
            FleetServer.Response created = server.post("/api/v1/tokens", Map.of("name", "console operator", "role", "operator"));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            String operator = created.json().get("token").asText();
            String token = server.enrollToken(2);
            Map<String, String> fixtures = new LinkedHashMap<>();
            fixtures.put("vm-vmware", "glpi-agent-rhel-6.2-vmware-2vcpus");
            fixtures.put("vm-kvm", "cloud-init-LXD-kvm");
            for (Map.Entry<String, String> f : fixtures.entrySet()) {
                Path sock = tmp.resolve(f.getKey() + ".sock");
                LoopRelay.unixToTcp(sock, server.port());
                agents.add(NetnsAgents.start(tmp, f.getKey(), f.getValue(), token, sock));
            }
            NsAgent vmware = agents.get(0);
            NsAgent kvm = agents.get(1);
            try (Browser b = new Browser(server.url())) {
                assertThat(waitFor(() -> server.get("/api/v1/agents").json().path("total").asInt() == 2)).as(outputs(agents)).isTrue();
                assertThat(waitFor(() -> !kvm.somaxconn().isEmpty() && !vmware.somaxconn().isEmpty())).as(outputs(agents)).isTrue();
                String kvmStart = kvm.somaxconn();
                assertThat(kvmStart).isNotEqualTo("8192");
                Map<String, String> ids = new LinkedHashMap<>();
                for (JsonNode a : server.get("/api/v1/agents").json().path("items")) {
                    ids.put(a.path("hostname").asText(), a.path("id").asText());
                }
                // both agents' facts are in before the page counts platforms
                assertThat(waitFor(() -> server.get("/api/v1/fleet/summary").body().contains("\"kvm\"")
                        && server.get("/api/v1/fleet/summary").body().contains("\"vmware\""))).as(outputs(agents)).isTrue();

                // sign in; the fleet chart counts the two agents by platform
                b.signIn(operator);
                assertThat(b.textContains("count-agents", "2")).startsWith("2");
                b.await("the platform chart drawn", d -> d.findElements(By.cssSelector("#platform-chart svg path")).size() >= 2 ? true : null);
                List<String> drawn = b.driver.findElements(By.cssSelector("#platform-chart svg text")).stream().map(WebElement::getText).toList();
                assertThat(String.join("|", drawn)).contains("vmware × ").contains("kvm × ");
                b.textContains("agents-total", "2 agents match");
                b.screenshot("real-01-fleet");

                // one agent's story: the platform answer with its evidence, from the real sensors
                b.driver.findElement(By.linkText("vm-kvm")).click();
                assertThat(b.textContains("platform-answer", "kvm")).startsWith("kvm × ");
                assertThat(b.driver.findElements(By.cssSelector("#evidence tbody tr"))).isNotEmpty();
                b.screenshot("real-02-agent");

                // a policy with a syntax error: the error at its line; fixed; the preview; uploaded
                b.open("/ui/#/policies/console-backlog");
                WebElement editor = b.visible("editor");
                b.visible("valid");
                b.replaceText(editor, BROKEN);
                String badLine = b.await("a gutter line marked", d -> d.findElement(By.cssSelector("#gutter .bad")).getAttribute("data-line"));
                assertThat(b.textContains("validation", "console-backlog.yaml:" + badLine + ":")).contains("line " + badLine);
                b.screenshot("real-03-policy-error");
                b.replaceText(editor, FIXED);
                b.textContains("valid", "compiles");
                b.driver.findElement(By.id("simulate")).click();
                // the agents report current values only of settings their policies manage: somaxconn is unknown
                // to the server until a policy of theirs touched it, and the preview says so rather than guess
                String headline = b.textContains("sim-headline", "of 2");
                assertThat(headline).contains("These 0 agents would change");
                assertThat(b.text("simulation")).contains("Not decidable from the reported facts");
                b.script("document.getElementById('simulation').scrollIntoView()");
                b.screenshot("real-04-simulation");
                b.driver.findElement(By.id("upload")).click();
                b.textContains("uploaded", "stored as version 1");

                // assign it to both, roll it out to the VMware agent as the canary
                b.await("the page reloaded with the version", d -> d.findElements(By.id("versions")).isEmpty() ? null : true);
                b.visible("assign-name").sendKeys("backlog");
                b.driver.findElement(By.id("assign-create")).click();
                b.visible("version-backlog").sendKeys("1");
                b.visible("canary-backlog").sendKeys(ids.get("vm-vmware"));
                WebElement steps = b.visible("steps-backlog");
                steps.clear();
                steps.sendKeys("100");
                b.driver.findElement(By.id("start-backlog")).click();
                b.await("the rollout running", d -> d.findElement(By.cssSelector("tr[data-assignment=backlog] .rollout-state")).getText()
                        .contains("running") ? true : null);

                // the events page: the canary's change set arrives in the live feed
                b.driver.findElement(By.id("nav-events")).click();
                b.await("the feed live", d -> "true".equals(d.findElement(By.id("feed-state")).getAttribute("data-live")) ? true : null);
                String change = b.await("the canary's change set in the live feed\n" + outputs(agents), Duration.ofSeconds(120),
                        d -> d.findElements(By.cssSelector("#feed li")).stream().map(WebElement::getText)
                                .filter(t -> t.contains("change-set") && t.contains(ids.get("vm-vmware"))).findFirst().orElse(null));
                assertThat(change).contains("applied");
                assertThat(b.driver.findElements(By.cssSelector("#feed li")).stream().map(WebElement::getText))
                        .noneMatch(t -> t.contains("change-set") && t.contains(ids.get("vm-kvm")));
                b.screenshot("real-05-events");
                // and for real: the canary's namespace has the new value, the other agent's does not
                assertThat(waitFor(() -> vmware.somaxconn().equals("8192"))).as(outputs(agents)).isTrue();
                assertThat(kvm.somaxconn()).isEqualTo(kvmStart);

                // the canary's page shows the change in its history
                b.open("/ui/#/agents/" + ids.get("vm-vmware"));
                assertThat(b.textContains("changes", "net.core.somaxconn")).containsPattern("verified sysctl:net.core.somaxconn: \\d+ -> 8192").contains("applied and verified");
                b.screenshot("real-06-agent-history");
            } finally {
                NetnsAgents.stopAll(agents);
            }
        }
    }
}
