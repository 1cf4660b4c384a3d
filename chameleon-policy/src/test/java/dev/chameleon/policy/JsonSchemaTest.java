package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The published JSON Schema accepts every document of the pack and its tests, and refuses broken ones, as an editor would. */
class JsonSchemaTest {
    static final Schema SCHEMA = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(PolicySet.class.getResourceAsStream(PolicySet.JSON_SCHEMA));

    static List<JsonNode> documents(String yaml) throws IOException {
        ObjectMapper m = new ObjectMapper(new YAMLFactory());
        List<JsonNode> out = new ArrayList<>();
        try (var it = m.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    static List<Error> errors(String yaml) throws IOException {
        List<Error> out = new ArrayList<>();
        for (JsonNode doc : documents(yaml)) {
            out.addAll(SCHEMA.validate(doc));
        }
        return out;
    }

    @Test
    void everyPackDocumentAndTestValidates() throws IOException {
        List<PolicySet.Source> all = new ArrayList<>(PolicySet.defaultPack());
        all.addAll(PolicyTests.packTests());
        int docs = 0;
        for (PolicySet.Source s : all) {
            docs += documents(s.text()).size();
            assertThat(errors(s.text())).as("%s", s.name()).isEmpty();
        }
        assertThat(docs).isGreaterThan(50);
    }

    @Test
    void brokenDocumentsAreRefusedByTheSchemaToo() throws IOException {
        String base = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """;
        assertThat(errors(base)).isEmpty();
        assertThat(errors(base.replace("settings:", "setings:"))).isNotEmpty();
        assertThat(errors(base.replace("kind: Policy", "kind: Polcy"))).isNotEmpty();
        assertThat(errors(base.replace(", value: 10", ""))).isNotEmpty();
        assertThat(errors(base.replace("sysctl:", "fstab:"))).isNotEmpty();
        assertThat(errors(base.replace("name: x", "name: X_Y"))).isNotEmpty();
        assertThat(errors(base.replace("spec:", "spec:\n  mode: sometimes"))).isNotEmpty();
        assertThat(errors(base.replace("spec:", "spec:\n  priority: 5000"))).isNotEmpty();
        String all = base.replace("    - sysctl: {key: vm.swappiness, value: 10}\n", """
                    - sysctl: {key: net.core.somaxconn, value: {atLeast: 4096}, persist: true}
                    - sysfs: {knob: thp.enabled, value: madvise}
                    - blockQueue: {select: 'disk.virtio', read_ahead_kb: {atLeast: 512}, nr_requests: 256}
                    - hugepages: {size: 2M, count: 512}
                    - kernelModule: {name: floppy, state: unloaded, blacklist: true}
                    - kernelModule: {name: vmxnet3, options: "num_tqs=4"}
                    - service: {name: nginx, state: running, enabled: true, CPUWeight: 200, MemoryHigh: 1G}
                    - file: {path: /etc/a.conf, content: "x\\n", mode: "0640", owner: root:adm}
                    - kernelCmdline: {arg: nvme_core.io_timeout=4294967295}
                    - tunedProfile: {profile: virtual-guest}
                    - nic: {name: eth0, mtu: 9000, channels: {combined: 4}, offload: {tso: off, gro: true}}
                    - package: {name: nginx, state: installed, optIn: true}
                    - initramfs: {drivers: [virtio_blk, virtio_net], kernel: 6.1.0-28-amd64}
                """);
        assertThat(errors(all)).isEmpty();
        assertThat(errors(all.replace("optIn: true", "optIn: false"))).isNotEmpty();
        assertThat(errors(all.replace("knob: thp.enabled", "knob: thp.enable"))).isNotEmpty();
        assertThat(errors(all.replace("channels: {combined: 4}", "channels: {combined: many}"))).isNotEmpty();
        assertThat(errors(all.replace("drivers: [virtio_blk, virtio_net]", "drivers: []"))).isNotEmpty();
        assertThat(errors(all.replace("drivers: [virtio_blk, virtio_net]", "drivers: [\"virtio blk\"]"))).isNotEmpty();
    }
}
