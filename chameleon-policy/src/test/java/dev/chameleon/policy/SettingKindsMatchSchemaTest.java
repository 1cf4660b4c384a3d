package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.policy.settings.SettingKind;
import dev.chameleon.policy.settings.SettingKinds;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schema for editors names exactly the setting kinds the parser reads, each with exactly
 * the keys its kind file takes: a kind file changed without the schema (or the other way) fails here.
 */
class SettingKindsMatchSchemaTest {
    @Test
    void theSchemaHasEveryKindWithItsKeys() throws Exception {
        JsonNode setting = new ObjectMapper().readTree(PolicySet.class.getResourceAsStream(PolicySet.JSON_SCHEMA))
                .path("$defs").path("setting").path("properties");
        List<String> inSchema = new ArrayList<>();
        setting.fieldNames().forEachRemaining(inSchema::add);
        List<String> expected = new ArrayList<>(SettingKinds.names());
        expected.add(SettingEncodings.ADVICE);
        assertThat(inSchema).containsExactlyInAnyOrderElementsOf(expected);
        for (SettingKind k : SettingKinds.standard()) {
            Set<String> keys = new TreeSet<>();
            setting.path(k.name()).path("properties").fieldNames().forEachRemaining(keys::add);
            assertThat(keys).as("schema keys of " + k.name()).isEqualTo(new TreeSet<>(k.keys()));
        }
        assertThat(PolicyParser.SETTING_KINDS).isEqualTo(SettingKinds.names());
    }
}
