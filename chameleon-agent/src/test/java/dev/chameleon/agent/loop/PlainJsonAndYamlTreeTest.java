package dev.chameleon.agent.loop;

import dev.chameleon.model.json.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's JSON lines and its config tree, without ObjectMapper, against what ObjectMapper gives. */
class PlainJsonAndYamlTreeTest {
    @TempDir
    Path tmp;

    @Test
    void plainTreesAreWrittenAsObjectMapperWritesThem() throws IOException {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("time", "2026-11-29T10:00:00Z");
        tree.put("event", "pass");
        tree.put("pending", 3);
        tree.put("pid", 12345L);
        tree.put("confidence", 0.77);
        tree.put("ok", true);
        tree.put("none", null);
        tree.put("entries", Arrays.asList("verified sysctl:vm.swappiness: 60 -> 10 (undo: sysctl -w vm.swappiness='60')", null, 7));
        tree.put("platform", Map.of("hypervisor", "kvm", "evidence", List.of(Map.of("signal", "cpu \"flag\"\n\t\u0001 é"))));
        assertThat(Json.compact(tree)).isEqualTo(new ObjectMapper().writeValueAsString(tree));
    }

    @Test
    void otherValuesAreWrittenAsTheirTextInsteadOfFailing() {
        Map<Object, Object> tree = new LinkedHashMap<>();
        tree.put("when", Instant.parse("2026-11-29T10:00:00Z"));
        tree.put(7, Path.of("/var/lib/chameleon"));
        assertThat(Json.compact(tree)).isEqualTo("{\"when\":\"2026-11-29T10:00:00Z\",\"7\":\"/var/lib/chameleon\"}");
    }

    @Test
    void configFilesReadAsObjectMapperReadsThem() throws IOException {
        Path shipped = Path.of(System.getProperty("chameleon.repo"), "chameleon-packaging/src/deb/files/agent.yaml");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        assertThat(YamlTree.read(shipped).root()).isEqualTo(yaml.readTree(shipped.toFile()));
        Path f = tmp.resolve("agent.yaml");
        for (String text : List.of("", "version: 1\n", "a: [1, 2.5, -3, 12345678901, 123456789012345678901234, true, null, ~, \"x\"]\n",
                "m: {k: v, n: {deep: [ {x: 1} ]}}\nl: {k: last}\n", "- 1\n- two\n", "just text\n", "t: !!binary aGVsbG8=\n")) {
            Files.writeString(f, text);
            assertThat(YamlTree.read(f).root()).as(text).isEqualTo(yaml.readTree(f.toFile()));
        }
        Files.writeString(f, "a: [1, 2\nb: }\n");
        assertThatThrownBy(() -> YamlTree.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + ":2:").hasMessageContaining("error: not YAML:").hasMessageNotContaining("[Source:");
    }

    /** A repeated key is an error at the second one (ObjectMapper would quietly keep the last: mode plan, then apply). */
    @Test
    void aRepeatedKeyIsAnErrorAtItsPosition() throws IOException {
        Path f = tmp.resolve("agent.yaml");
        Files.writeString(f, "version: 1\nmode: plan\ninterval: 60s\nmode: apply\n");
        assertThatThrownBy(() -> YamlTree.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(f + ":4:1: error: duplicate key 'mode' (also at line 2)\n  mode: apply\n  ^");
        Files.writeString(f, "healthGate:\n  url: \"\"\n  timeout: 5s\n  url: http://127.0.0.1:1/\n");
        assertThatThrownBy(() -> YamlTree.read(f)).hasMessageStartingWith(f + ":4:3: error: duplicate key 'healthGate.url' (also at line 2)");
        // the same name in different mappings is fine, and every value has its position
        Files.writeString(f, "a: {x: 1}\nb:\n  x: 2\n  l: [p, q]\n");
        YamlTree.Doc d = YamlTree.read(f);
        assertThat(d.at().get("b.x").getLineNr()).isEqualTo(3);
        assertThat(d.at().get("b.l.1").getColumnNr()).isEqualTo(10);
        assertThat(d.error("b.x", "must be a string")).isEqualTo(f + ":3:6: error: b.x must be a string\n    x: 2\n       ^");
        assertThat(d.error("c", "is missing")).isEqualTo(f + ": error: c is missing");
    }
}
