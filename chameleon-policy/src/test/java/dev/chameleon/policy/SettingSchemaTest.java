package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The setting kinds of issue 5 as policies write them: what each item becomes, and positioned errors for bad ones. */
class SettingSchemaTest {
    static final String HEAD = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: p}
            spec:
              settings:
            """;

    record Parsed(List<Policy> policies, List<PolicyError> errors) {
        List<String> rules() {
            return policies.get(0).settings().stream().map(r -> r.kind() + ":" + r.target() + "=" + r.value()).toList();
        }
    }

    static Parsed parse(String settings) {
        List<PolicyError> errors = new ArrayList<>();
        List<Policy> p = PolicyParser.parse("p.yaml", HEAD + settings, errors);
        return new Parsed(p, errors);
    }

    static PolicyError error(String settings) {
        Parsed p = parse(settings);
        assertThat(p.errors()).as("errors for:\n" + settings).hasSize(1);
        return p.errors().get(0);
    }

    @Test
    void everyKindBecomesActuatorKeys() {
        Parsed p = parse("""
                    - sysctl: {key: vm.swappiness, value: 10, persist: true}
                    - sysctl: {key: net.core.somaxconn, value: {atLeast: 4096}}
                    - sysfs: {knob: thp.enabled, value: madvise}
                    - blockQueue: {select: 'disk.virtio == true', scheduler: none, read_ahead_kb: {atLeast: 4096}, nr_requests: 256}
                    - hugepages: {size: 2M, count: 512}
                    - hugepages: {size: 1G, count: {atMost: 4}}
                    - kernelModule: {name: vmw-pvscsi, state: unloaded, options: "msi=1  ring=2", blacklist: true}
                    - kernelModule: {name: floppy, blacklist: true}
                    - service: {name: nginx, state: running, enabled: true, CPUWeight: 200, MemoryMax: 2G}
                    - service: {name: cups.socket, state: stopped, masked: true}
                    - file: {path: /etc/app.conf, content: "x\\n", mode: "600", owner: "www-data:adm"}
                    - file: {path: /etc/old.conf, state: absent}
                    - kernelCmdline: {arg: mitigations=off}
                    - tunedProfile: {profile: virtual-guest}
                    - nic: {name: eth0, mtu: 9000, txqueuelen: {atLeast: 10000}, channels: {combined: 4}, rings: {rx: 1024}, offload: {tso: off, gro: true}}
                    - package: {name: nginx, state: installed, optIn: true}
                """);
        assertThat(p.errors()).isEmpty();
        assertThat(p.rules()).containsExactly(
                "sysctl:vm.swappiness=10", "sysctl:persist/vm.swappiness=10", "sysctl:net.core.somaxconn=>=4096",
                "sysfs:thp.enabled=madvise",
                "blockQueue:scheduler=none", "blockQueue:read_ahead_kb=>=4096", "blockQueue:nr_requests=256",
                "hugepages:2048kB=512", "hugepages:1048576kB=<=4",
                "kernelModule:vmw_pvscsi=unloaded", "kernelModule:vmw_pvscsi/options=msi=1 ring=2", "kernelModule:vmw_pvscsi/blacklist=yes",
                "kernelModule:floppy/blacklist=yes",
                "service:nginx/active=running", "service:nginx/enabled=enabled", "service:nginx/CPUWeight=200", "service:nginx/MemoryMax=2G",
                "service:cups.socket/active=stopped", "service:cups.socket/enabled=masked",
                "file:/etc/app.conf=mode=0600 owner=www-data:adm content=eAo=", "file:/etc/old.conf=absent",
                "kernelCmdline:mitigations=off=present", "tunedProfile:active=virtual-guest",
                "nic:eth0/mtu=9000", "nic:eth0/txqueuelen=>=10000", "nic:eth0/channels.combined=4", "nic:eth0/rings.rx=1024",
                "nic:eth0/offload.tso=off", "nic:eth0/offload.gro=on",
                "package:nginx=installed");
        assertThat(p.policies().get(0).settings().get(4).select()).isPresent();
        assertThat(p.policies().get(0).settings().get(3).select()).isEmpty();
    }

    @Test
    void packagesNeedAnExplicitOptIn() {
        PolicyError e = error("    - package: {name: nginx, state: installed}\n");
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.column()).as("the package mapping").isEqualTo(16);
        assertThat(e.message()).isEqualTo("package settings install or remove software; say so explicitly with optIn: true");
        assertThat(e.format()).contains("p.yaml:6:16").contains("^");
    }

    @Test
    void packageVersionsAreCandidateOrADebianVersionAndIrreversibleChangesAreAllowedExplicitly() {
        assertThat(parse("    - package: {name: intel-microcode, version: candidate, optIn: true}\n").policies().get(0).settings().get(0).value())
                .isEqualTo("installed candidate");
        assertThat(parse("    - package: {name: intel-microcode, version: \"1:3.2-1~deb12u1\", optIn: true, allowIrreversible: true}\n")
                .policies().get(0).settings().get(0).value()).isEqualTo("installed 1:3.2-1~deb12u1 allow-irreversible");
        assertThat(parse("    - package: {name: intel-microcode, version: candidate, optIn: true, allowIrreversible: false}\n")
                .policies().get(0).settings().get(0).value()).isEqualTo("installed candidate");
        PolicyError v = error("    - package: {name: intel-microcode, version: newest, optIn: true}\n");
        assertThat(v.message()).isEqualTo("package.version must be candidate (apt's candidate) or a Debian version such as "
                + "3.20250512.1~deb12u1, found 'newest'");
        assertThat(v.format()).contains("p.yaml:6:");
        assertThat(error("    - package: {name: x, state: absent, version: candidate, optIn: true}\n").message())
                .isEqualTo("package.version goes with state: installed, not absent");
        assertThat(error("    - package: {name: x, allowIrreversible: true, optIn: true}\n").message())
                .startsWith("package.allowIrreversible goes with version:");
        assertThat(error("    - package: {name: x, version: candidate, allowIrreversible: yes please, optIn: true}\n").message())
                .isEqualTo("package.allowIrreversible must be true or false, found 'yes please'");
    }

    @Test
    void badValuesArePositionedAndSayWhatWasExpected() {
        assertThat(error("    - sysfs: {knob: thp.magic, value: x}\n").message())
                .isEqualTo("'thp.magic' is not a sysfs knob Chameleon manages (thp.enabled, thp.defrag, cpu.governor, cpu.epp, smt.control)");
        PolicyError hp = error("    - hugepages: {size: 3X, count: 1}\n");
        assertThat(hp.message()).isEqualTo("'3X' is not a huge page size (2M, 1G or 2048kB)");
        assertThat(hp.column()).as("the size value").isEqualTo(25);
        assertThat(error("    - blockQueue: {read_ahead_kb: lots}\n").message())
                .isEqualTo("blockQueue.read_ahead_kb must be a whole number (or {atLeast: N}, {atMost: N}), found 'lots'");
        assertThat(error("    - blockQueue: {read_ahead_kb: {atLeast: 1, atMost: 2}}\n").message())
                .isEqualTo("blockQueue.read_ahead_kb takes one of atLeast or atMost, e.g. {atLeast: 4096}");
        assertThat(error("    - kernelModule: {name: e1000, state: gone}\n").message())
                .isEqualTo("kernelModule.state must be loaded or unloaded, found 'gone'");
        assertThat(error("    - service: {name: nginx, state: started}\n").message())
                .isEqualTo("service.state must be running or stopped, found 'started'");
        assertThat(error("    - service: {name: nginx, CPUWeight: 0}\n").message()).isEqualTo("service.CPUWeight must be 1..10000, found '0'");
        assertThat(error("    - service: {name: nginx, state: running, masked: true}\n").message())
                .isEqualTo("a masked service cannot be running; use state: stopped");
        assertThat(error("    - service: {name: nginx}\n").message())
                .isEqualTo("service nginx says nothing to do; give state, enabled, masked or a resource control");
        assertThat(error("    - file: {path: /proc/sys/vm/swappiness, content: x}\n").message())
                .startsWith("'/proc/sys/vm/swappiness' is not a file path Chameleon manages");
        assertThat(error("    - file: {path: /etc/x, content: x, mode: 644x}\n").message())
                .isEqualTo("file.mode must be octal such as \"0644\" (quote it), found '644x'");
        assertThat(error("    - kernelCmdline: {arg: \"a b\"}\n").message()).startsWith("'a b' is not a plain kernel argument");
        assertThat(error("    - nic: {name: eth0, offload: {tso: maybe}}\n").message()).isEqualTo("nic.offload.tso must be on or off, found 'maybe'");
        assertThat(error("    - nic: {name: eth0, rings: {huge: 1}}\n").message()).startsWith("unknown key 'huge' in nic.rings (allowed: rx, rx-jumbo, rx-mini, tx)");
        assertThat(error("    - tunedProfile: {}\n").message()).isEqualTo("tunedProfile needs a profile, e.g. {profile: virtual-guest}");
        assertThat(error("    - frobnicate: {x: 1}\n").message()).startsWith("unknown key 'frobnicate' in a setting (allowed: blockQueue, file, hugepages, "
                + "initramfs, kernelCmdline, kernelModule, nic, nicSysctl, package, service, sysctl, sysfs, tunedProfile)");
    }
}
