package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Block device queue knobs under {@code /sys/block/DEV/queue/}. Target {@code vda/scheduler} is
 * {@code /sys/block/vda/queue/scheduler}; its value is the bracketed word
 * ({@code none [mq-deadline] kyber} → {@code mq-deadline}). Not applicable when the device or knob
 * is missing or the wanted scheduler is not offered by this kernel.
 */
public final class BlockQueueActuator implements Actuator {
    @Override
    public String kind() {
        return "blockQueue";
    }

    static String path(SettingKey key) {
        String t = key.target();
        int i = t.indexOf('/');
        if (i <= 0 || t.contains("..")) {
            throw new IllegalArgumentException("blockQueue target must be DEVICE/knob, got " + t);
        }
        return "/sys/block/" + t.substring(0, i) + "/queue/" + t.substring(i + 1);
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String p = path(key);
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
        List<String> out = new ArrayList<>();
        if (f.isPresent() && f.text().contains("[")) {
            for (String w : f.trimmed().split("\\s+")) {
                out.add(w.replace("[", "").replace("]", ""));
            }
        }
        return out;
    }

    @Override
    public String normalize(SettingKey key, String value) {
        String v = value.strip();
        int a = v.indexOf('[');
        int b = v.indexOf(']', a + 1);
        return a >= 0 && b > a ? v.substring(a + 1, b) : v.replaceAll("\\s+", " ");
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
