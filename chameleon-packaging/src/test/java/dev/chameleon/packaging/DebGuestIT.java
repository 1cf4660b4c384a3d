package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The .deb in a real Debian 12 guest: booted under QEMU (TCG) from its own kernel, with its own
 * systemd, dpkg, GRUB, TuneD, ethtool, apt and OpenJDK 17; the package installed, switched to
 * apply, reloaded, stopped and upgraded there; then (issue 15, scenario 10) one setting of every
 * program-backed kind applied by the running agent through the real programs
 * ({@code vm/deb-guest/real-programs.yaml}); the guest rebooted through its own GRUB (scenario 9:
 * what the policies persisted is there, and the agent finds nothing to change); everything rolled
 * back, the package removed and purged, and the guest compared with its snapshot from before the
 * install ({@code vm/deb-guest.sh} drives the guest and prints one report line per step; this
 * test asserts on them). Unlike {@link DebPackageIT}'s throwaway root, the unit runs for real,
 * under its own limits and hardening, and the agent changes the guest's settings for real.
 */
class DebGuestIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 75, unit = TimeUnit.MINUTES)   // two boots under TCG; the script's own bound is below
    void installsRunsAppliesUpgradesAndRemovesInADebianGuest() throws Exception {
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        Path script = Path.of(System.getProperty("chameleon.repo", "..")).resolve("vm/deb-guest.sh");
        assertThat(script).isRegularFile();
        Path out = Files.createTempDirectory("chameleon-deb-guest");
        DebPackageIT.Proc run = DebPackageIT.Proc.run(List.of("bash", script.toString(), deb, out.toString()), 4200);
        assertThat(run.code()).as("vm/deb-guest.sh:\n" + run.out()).isZero();

        Map<String, Map<String, String>> steps = new LinkedHashMap<>();
        Map<String, JsonNode> status = new LinkedHashMap<>();
        List<String> diff = new ArrayList<>();
        List<String> applied = new ArrayList<>();
        for (String line : run.out().split("\n")) {
            if (line.startsWith("DEBGUEST-DIFF ")) {
                diff.add(line.substring("DEBGUEST-DIFF ".length()));
            } else if (line.startsWith("DEBGUEST-APPLIED ")) {
                applied.add(line.substring("DEBGUEST-APPLIED ".length()));
            } else if (line.startsWith("DEBGUEST-JSON ")) {
                String[] p = line.split(" ", 3);
                status.put(p[1], JSON.readTree(p[2]));
            } else if (line.startsWith("DEBGUEST ")) {
                String[] p = line.substring("DEBGUEST ".length()).split(" ");
                Map<String, String> kv = new LinkedHashMap<>();
                for (int i = 1; i < p.length; i++) {
                    int eq = p[i].indexOf('=');
                    if (eq > 0) {
                        kv.put(p[i].substring(0, eq), p[i].substring(eq + 1));
                    }
                }
                steps.put(p[0], kv);
            }
        }
        String report = run.out();
        assertThat(steps).as(report).containsKeys("booted", "grub", "cpuid", "pristine", "install", "status-plan", "reload-apply",
                "plan-after-apply", "stop", "upgrade", "status-upgraded", "real-before", "real-apply", "real-plan", "rebooting",
                "rebooted", "agent-after-reboot", "persisted", "reboot-changes", "plan-after-reboot", "rollback-all", "remove",
                "purge", "pristine-after", "end");
        // GRUB on the disk, by the guest's own grub-install and update-grub
        assertThat(steps.get("grub")).as(report).containsEntry("install", "0").containsEntry("update", "0")
                .containsEntry("cfg", "present");
        String before = steps.get("booted").get("swappiness");

        // Install: enabled and started by the maintainer script under a running systemd, in plan mode.
        assertThat(steps.get("install")).as(report).containsEntry("rc", "0").containsEntry("active", "active")
                .containsEntry("enabled", "enabled");
        assertThat(steps.get("status-plan")).as(report).containsEntry("rc", "0").containsEntry("swappiness", before)
                .containsEntry("memorymax", String.valueOf(128L * 1024 * 1024));
        JsonNode plan = status.get("status-plan");
        assertThat(plan.path("mode").asText()).isEqualTo("plan");
        assertThat(steps.get("cpuid")).as(report).containsEntry("rc", "0").containsEntry("device", "present");
        assertThat(plan.path("platform").path("hypervisor").asText()).as("a TCG guest: " + plan.path("platform")).isEqualTo("qemu");
        assertThat(plan.path("platform").path("evidence")).as("read from the kernel's CPUID device")
                .anySatisfy(e -> {
                    assertThat(e.path("source").asText()).isEqualTo("/dev/cpu/0/cpuid (leaf 0x40000000)");
                    assertThat(e.path("value").asText()).isEqualTo("TCGTCGTCGTCG");
                });
        assertThat(plan.path("pending").size()).as("plan mode reports what it would change").isPositive();

        // mode: apply + systemctl reload (SIGHUP, no restart): the agent changes the guest's sysctls.
        assertThat(steps.get("reload-apply")).as(report).containsEntry("rc", "0").containsEntry("wait", "0")
                .containsEntry("active", "active").containsEntry("restarts", "0");
        assertThat(steps.get("reload-apply").get("swappiness")).as(report).isNotEqualTo(before);
        assertThat(status.get("reload-apply").path("mode").asText()).isEqualTo("apply");
        assertThat(Integer.parseInt(steps.get("history").get("lines"))).as(report).isPositive();
        assertThat(steps.get("plan-after-apply").get("rc")).as("plan --exit-code after the agent applied: " + report)
                .isIn("0", "3");

        // Stop leaves the machine as it is.
        assertThat(steps.get("stop")).as(report).containsEntry("active", "inactive");
        assertThat(steps.get("stop").get("swappiness")).isEqualTo(steps.get("stop").get("applied"));

        // Upgrade: the operator's edited conffile survives, the new version runs.
        assertThat(steps.get("upgrade")).as(report).containsEntry("rc", "0").containsEntry("active", "active")
                .containsEntry("mode", "apply");
        assertThat(steps.get("upgrade").get("version")).endsWith("+upgrade1");
        assertThat(steps.get("status-upgraded")).as(report).containsEntry("rc", "0");

        // Scenario 10: every program-backed kind applied by the running agent, read back with the
        // programs themselves (systemctl, tuned-adm, dpkg-query, grub.cfg, lsmod, sysctl, sysfs, ip, ethtool).
        Map<String, String> before10 = steps.get("real-before");
        assertThat(before10).as(report).containsEntry("unit", "inactive/disabled").containsEntry("tuned", "inactive/disabled")
                .containsEntry("hello", "absent").containsEntry("grubcfg", "0").containsEntry("bbr", "0");
        Map<String, String> real = steps.get("real-apply");
        assertThat(real).as(report).containsEntry("wait", "0").containsEntry("settled", "0").containsEntry("failed", "0")
                .containsEntry("unit", "active/enabled").containsEntry("cpuweight", "200")
                .containsEntry("tuned", "active/enabled").containsEntry("profile", "optimize-serial-console")
                .containsEntry("hello", "2.10-3").containsEntry("grubcfg", "1").containsEntry("cmdline", "no")
                .containsEntry("bbr", "1").containsEntry("cc", "bbr").containsEntry("vfs", "120")
                .containsEntry("sched", "mq-deadline").containsEntry("ra", "2048")
                .containsEntry("mtu", "1400").containsEntry("txqlen", "2000").containsEntry("gro", "off").containsEntry("rx", "512");
        assertThat(applied).as("the change sets' verified entries: " + report).anyMatch(a -> a.startsWith("service:vmtest-echo.service/active"))
                .anyMatch(a -> a.startsWith("tunedProfile:active")).anyMatch(a -> a.startsWith("package:hello"))
                .anyMatch(a -> a.startsWith("kernelCmdline:consoleblank=0")).anyMatch(a -> a.matches("nic:\\w+/offload\\.gro.*"))
                .anyMatch(a -> a.matches("nic:\\w+/rings\\.rx.*")).anyMatch(a -> a.startsWith("blockQueue:vda/scheduler"));
        // nothing left to do, only the command line waiting for the reboot
        assertThat(steps.get("real-plan")).as(report).containsEntry("rc", "0");
        assertThat(Integer.parseInt(steps.get("real-plan").get("pending_reboot"))).as(report).isPositive();

        // Scenario 9: rebooted through the guest's GRUB, with the command line update-grub wrote;
        // what the policies persisted is there, and the agent finds nothing to change.
        assertThat(steps.get("rebooted")).as(report).containsEntry("bootloader", "grub");
        assertThat(steps.get("rebooted").get("cmdline")).as(report).contains("consoleblank=0");
        assertThat(steps.get("agent-after-reboot")).as(report).containsEntry("rc", "0").containsEntry("active", "active");
        assertThat(steps.get("persisted")).as(report).containsEntry("unit", "active/enabled").containsEntry("cpuweight", "200")
                .containsEntry("tuned", "active/enabled").containsEntry("profile", "optimize-serial-console")
                .containsEntry("hello", "2.10-3").containsEntry("cmdline", "yes").containsEntry("bbr", "1")
                .containsEntry("cc", "bbr").containsEntry("vfs", "120");
        // after the boot the agent set again only what does not persist by itself (queues, the NIC)
        String rebootKeys = steps.get("reboot-changes").get("keys");
        assertThat(rebootKeys == null ? List.<String>of() : List.of(rebootKeys.split(","))).as(report)
                .allMatch(k -> k.startsWith("blockQueue:") || k.startsWith("nic:"));
        assertThat(steps.get("plan-after-reboot")).as(report).containsEntry("rc", "0").containsEntry("pending_reboot", "0");

        // rollback --all puts every setting back (the agent stopped first)
        assertThat(steps.get("rollback-all")).as(report).containsEntry("rc", "0").containsEntry("incomplete", "0")
                .containsEntry("unit", "inactive/disabled").containsEntry("tuned", "inactive/disabled")
                .containsEntry("hello", "absent").containsEntry("grubcfg", "0").containsEntry("bbr", "0")
                .containsEntry("vfs", before10.get("vfs")).containsEntry("cc", before10.get("cc"))
                .containsEntry("mtu", before10.get("mtu")).containsEntry("gro", before10.get("gro")).containsEntry("rx", before10.get("rx"));

        // Remove keeps state and configuration and leaves the settings; purge deletes ours.
        assertThat(steps.get("remove")).as(report).containsEntry("rc", "0").containsEntry("active", "inactive")
                .containsEntry("unit", "gone").containsEntry("state", "kept").containsEntry("config", "kept");
        assertThat(steps.get("remove").get("swappiness")).isEqualTo(steps.get("stop").get("applied"));
        assertThat(steps.get("purge")).as(report).containsEntry("rc", "0").containsEntry("state", "gone")
                .containsEntry("config", "gone");
        // and the guest is as it was before the package came: every module, sysctl, queue, NIC
        // value, file under /etc, unit, TuneD profile and package (vm/guest/vm-state)
        assertThat(diff).as("differences from the snapshot before the install: " + report).isEmpty();
        assertThat(steps.get("pristine-after")).as(report).containsEntry("rc", "0");
    }
}
