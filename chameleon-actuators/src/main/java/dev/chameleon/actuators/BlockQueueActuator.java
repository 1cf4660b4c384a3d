package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.util.List;

/**
 * Block device queue knobs under {@code /sys/block/DEV/queue/}: {@code DEV/scheduler},
 * {@code DEV/read_ahead_kb} (KiB) and {@code DEV/nr_requests} (requests). Target
 * {@code vda/scheduler} is {@code /sys/block/vda/queue/scheduler}; its value is the bracketed word
 * ({@code none [mq-deadline] kyber} → {@code mq-deadline}) and a wanted scheduler must be one the
 * kernel offers. The numeric knobs accept {@code >=N} / {@code <=N}. Not applicable when the device
 * or knob is missing, the knob is not one of these three, or the scheduler is not offered.
 */
public final class BlockQueueActuator implements Actuator {
    static final List<String> KNOBS = List.of("scheduler", "read_ahead_kb", "nr_requests");

    @Override
    public String kind() {
        return "blockQueue";
    }

    static String path(SettingKey key) {
        String t = key.target();
        int i = t.indexOf('/');
        if (i <= 0 || t.contains("..") || t.indexOf('/', i + 1) >= 0) {
            throw new IllegalArgumentException("blockQueue target must be DEVICE/knob, got " + t);
        }
        return "/sys/block/" + t.substring(0, i) + "/queue/" + t.substring(i + 1);
    }

    static String knob(SettingKey key) {
        return key.target().substring(key.target().indexOf('/') + 1);
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String p;
        try {
            p = path(key);
        } catch (IllegalArgumentException e) {
            return Current.notApplicable(e.getMessage());
        }
        if (!KNOBS.contains(knob(key))) {
            return Current.notApplicable("blockQueue manages " + String.join(", ", KNOBS) + "; not " + knob(key));
        }
        HostFile f = host.root().read(p);
        return switch (f.status()) {
            case PRESENT -> Current.value(normalize(key, f.text()));
            case ABSENT -> Current.notApplicable("no " + p + " on this machine");
            case UNREADABLE -> Current.error("cannot read " + p + ": " + f.error());
        };
    }

    /** The choices a multi-choice knob offers, from its file ({@code none [mq-deadline]} → both); empty otherwise. */
    public List<String> choices(Host host, SettingKey key) {
        HostFile f = host.root().read(path(key));
        return f.isPresent() && f.text().contains("[") ? Values.choices(f.text()) : List.of();
    }

    @Override
    public String normalize(SettingKey key, String value) {
        return Values.selected(value);
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        String d = normalize(key, desired);
        if (knob(key).equals("scheduler")) {
            return Values.oneOf(d, choices(host, key));
        }
        return Values.number("blockQueue " + key.target(), d, current.value());
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        try {
            host.root().writeKernelFile(path(key), value);
        } catch (IOException e) {
            throw new ActuatorException("blockQueue " + key.target() + " = " + value + ": the kernel refused the write to "
                    + path(key) + " (" + SysctlActuator.kernelAnswer(e) + ")", e);
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return "echo " + value + " > " + path(key);
    }
}
