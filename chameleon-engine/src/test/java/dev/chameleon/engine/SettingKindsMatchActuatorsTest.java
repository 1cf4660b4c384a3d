package dev.chameleon.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.policy.settings.SettingKinds;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every setting kind a policy may write has an actuator that applies it, and every actuator has a
 * kind that policies can write: a kind added on one side only fails here. Advice is the one kind
 * without an actuator, on purpose (it is for a person).
 */
class SettingKindsMatchActuatorsTest {
    @Test
    void everyKindHasItsActuatorAndEveryActuatorItsKind() {
        List<String> kinds = SettingKinds.names();
        List<String> actuators = new ArrayList<>(Actuators.standard().kinds());
        assertThat(kinds).as("setting kinds without an actuator").allMatch(actuators::contains);
        assertThat(actuators).as("actuators without a setting kind").allMatch(kinds::contains);
        assertThat(kinds).as("same order: messages list kinds as the registry does").containsExactlyElementsOf(actuators);
        assertThat(kinds).doesNotContain(SettingEncodings.ADVICE);
        assertThat(Actuators.standard().forKind(SettingEncodings.ADVICE)).isEmpty();
    }
}
