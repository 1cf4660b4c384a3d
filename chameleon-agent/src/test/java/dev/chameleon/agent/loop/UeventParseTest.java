package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Kernel uevent messages and udevadm monitor lines become triggers; other subsystems do not. */
class UeventParseTest {
    @Test
    void netlinkMessage() {
        String msg = "add@/devices/virtual/net/veth0\0ACTION=add\0DEVPATH=/devices/virtual/net/veth0\0SUBSYSTEM=net\0INTERFACE=veth0\0SEQNUM=5\0";
        assertThat(Triggers.parseUevent(msg)).hasValueSatisfying(t -> {
            assertThat(t.source()).isEqualTo("uevent");
            assertThat(t.detail()).isEqualTo("add net /devices/virtual/net/veth0");
        });
        assertThat(Triggers.parseUevent("add@/x\0ACTION=add\0SUBSYSTEM=tty\0")).isEmpty();
        assertThat(Triggers.parseUevent("libudev garbage")).isEmpty();
    }

    @Test
    void udevadmLine() {
        assertThat(Triggers.parseUdevadm("KERNEL[1234.567890] add      /devices/virtual/net/veth1 (net)"))
                .hasValueSatisfying(t -> assertThat(t.detail()).isEqualTo("add net /devices/virtual/net/veth1"));
        assertThat(Triggers.parseUdevadm("monitor will print the received events for:")).isEmpty();
    }
}
