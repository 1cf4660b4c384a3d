package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the platform sensor on the machine the tests run on and prints the answer. It asserts
 * only what holds everywhere (it answers, and every answer has its evidence), since the build
 * machine varies; the captured firecracker-docker case pins this project's build machine.
 */
class LiveMachineTest {
    /** {@code java -cp ... dev.chameleon.sensors.platform.LiveMachineTest}: prints the live answer. */
    public static void main(String[] args) {
        System.out.println(render(new PlatformSensor().detect(Host.live())));
    }

    static String render(Resolver.Answer a) {
        StringBuilder sb = new StringBuilder();
        sb.append("hypervisor=").append(a.hypervisor()).append(" vmm=").append(a.vmm())
                .append(" cloud=").append(a.cloud()).append(" container=").append(a.container())
                .append(" confidence=").append(a.confidence()).append(" layers=").append(a.layerConfidence());
        for (Evidence e : a.evidence()) {
            sb.append("\n  ").append(e.toFact());
        }
        return sb.toString();
    }

    @Test
    void detectsTheLiveMachine() {
        Resolver.Answer a = new PlatformSensor().detect(Host.live());
        System.out.println("live platform: " + render(a));
        assertThat(a.hypervisor()).isNotBlank();
        assertThat(a.cloud()).isNotBlank();
        assertThat(a.container()).isNotBlank();
        assertThat(a.confidence()).isBetween(0.0, 1.0);
        Map<String, Object> facts = PlatformSensor.toFacts(a);
        assertThat(facts).containsKeys("hypervisor", "cloud", "container", "confidence", "evidence");
    }
}
