package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.util.List;
import java.util.Optional;

/**
 * Block device queue knobs under {@code /sys/block/DEV/queue/}: {@code DEV/scheduler},
 * {@code DEV/read_ahead_kb} (KiB) and {@code DEV/nr_requests} (requests). Target
 * {@code vda/scheduler} is {@code /sys/block/vda/queue/scheduler}; its value is the bracketed word
 * ({@code none [mq-deadline] kyber} → {@code mq-deadline}) and a wanted scheduler must be one the
 * kernel offers. The numeric knobs accept {@code >=N} / {@code <=N}. Not applicable when the device
 * or knob is missing, the knob is not one of these three, or the scheduler is not offered.
 */
public final class BlockQueueActuator extends KernelFileActuator {
    static final List<String> KNOBS = List.of("scheduler", "read_ahead_kb", "nr_requests");

    @Override
    public String kind() {
        return "blockQueue";
    }

    @Override
    String path(SettingKey key) {
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
    Optional<String> invalid(SettingKey key) {
        try {
            path(key);
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        return KNOBS.contains(knob(key)) ? Optional.empty()
                : Optional.of("blockQueue manages " + String.join(", ", KNOBS) + "; not " + knob(key));
    }

    @Override
    String absent(Host host, SettingKey key, String path) {
        return "no " + path + " on this machine";
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
    public Current resolve(SettingKey key, String desired, String current) {
        String d = normalize(key, desired);
        if (knob(key).equals("scheduler")) {
            return Current.value(d);
        }
        return Values.number("blockQueue " + key.target(), d, current);
    }

    @Override
    public Optional<String> machineCheck(SettingKey key, String desired) {
        return knob(key).equals("scheduler") ? Optional.of("whether the kernel offers the scheduler '" + normalize(key, desired)
                + "' for " + key.target().substring(0, key.target().indexOf('/')) + " (its choices are read on the machine)") : Optional.empty();
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        Current r = resolve(key, desired, current.value());
        if (r.isValue() && knob(key).equals("scheduler")) {
            return Values.oneOf(r.value(), choices(host, key));
        }
        return r;
    }
}
