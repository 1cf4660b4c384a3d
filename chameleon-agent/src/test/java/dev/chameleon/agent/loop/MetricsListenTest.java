package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** metrics.listen / --metrics: a loopback address as a number and a port; everything else refused, for a reason. */
class MetricsListenTest {
    @Test
    void loopbackAddressesAndPorts() {
        InetSocketAddress a = MetricsListen.parse("127.0.0.1:9465");
        assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(a.getPort()).isEqualTo(9465);
        assertThat(MetricsListen.format(MetricsListen.parse(" 127.1.2.3:0 "))).isEqualTo("127.1.2.3:0");
        assertThat(MetricsListen.format(MetricsListen.parse("[::1]:65535"))).isEqualTo("[0:0:0:0:0:0:0:1]:65535");
        assertThat(MetricsListen.parse(MetricsListen.DEFAULT).getPort()).isEqualTo(9465);
    }

    @Test
    void notLoopbackIsRefused() {
        refused("0.0.0.0:9465", "0.0.0.0 is not a loopback address (it means every address of the machine)");
        refused("10.1.2.3:9465", "10.1.2.3 is not a loopback address; metrics are served on this machine only");
        refused("[::]:9465", ":: is not a loopback address (it means every address");
        refused("[fe80::1]:9465", "fe80::1 is not a loopback address");
        refused("192.168.0.1:80", "not a loopback address");
    }

    @Test
    void namesAreRefusedWithoutLookingThemUp() {
        refused("localhost:9465", "localhost is not an address as a number; give a loopback address (127.0.0.1 or [::1])");
        refused("metrics.example.invalid:9465", "metrics.example.invalid is not an address as a number");
        refused("256.0.0.1:9465", "256.0.0.1 is not an address as a number");
    }

    @Test
    void malformedValuesSayWhatIsExpected() {
        refused("", "is empty; say 127.0.0.1:9465");
        refused("127.0.0.1", "'127.0.0.1' has no port (say 127.0.0.1:9465)");
        refused("127.0.0.1:http", "port 'http' is not a number from 0 to 65535");
        refused("127.0.0.1:65536", "port '65536' is not a number from 0 to 65535");
        refused("127.0.0.1:-1", "port '-1' is not a number");
        refused("127.0.0.1:", "port '' is not a number");
        refused(":9465", "':9465' has no address");
        refused("::1:9465", "an IPv6 address needs brackets, as [::1]:9465");
        refused("[::1]", "'[::1]' is not [IPV6]:PORT");
        refused("[::1]9465", "is not [IPV6]:PORT");
    }

    private static void refused(String text, String why) {
        assertThatThrownBy(() -> MetricsListen.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }
}
