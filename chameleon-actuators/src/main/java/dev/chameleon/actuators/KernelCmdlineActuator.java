package dev.chameleon.actuators;

import dev.chameleon.model.SettingEncodings;
import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.RebootRecord;
import dev.chameleon.model.SettingKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kernel command line arguments for the next boot: {@code kernelCmdline:mitigations=off} is
 * {@code present} or {@code absent} in the boot loader's configuration.
 *
 * <p>With GRUB ({@code /etc/default/grub} exists) Chameleon keeps its arguments in the drop-in
 * {@code /etc/default/grub.d/chameleon.cfg}
 * ({@code GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT mitigations=off"}) and runs
 * {@code update-grub} (or {@code grub-mkconfig -o /boot/grub/grub.cfg}); without it, through
 * {@code grubby --update-kernel=ALL --args=ARG | --remove-args=ARG}. An argument counts as present
 * when the drop-in or {@code GRUB_CMDLINE_LINUX[_DEFAULT]} in {@code /etc/default/grub} has it
 * (grubby: {@code grubby --info=DEFAULT}). Until the running kernel's {@code /proc/cmdline} agrees,
 * the plan notes {@code pending-reboot}. Arguments set in {@code /etc/default/grub} itself are not
 * removed (an error says where they are). Not applicable without GRUB and grubby.
 */
public final class KernelCmdlineActuator implements Actuator {
    static final String DROP_IN = "/etc/default/grub.d/chameleon.cfg";
    private static final Pattern DROP_IN_LINE = Pattern.compile("GRUB_CMDLINE_LINUX_DEFAULT=\"\\$GRUB_CMDLINE_LINUX_DEFAULT ?([^\"]*)\"");
    private static final Pattern BASE_LINE = Pattern.compile("^GRUB_CMDLINE_LINUX(_DEFAULT)?=[\"']?([^\"'\\n]*)[\"']?", Pattern.MULTILINE);

    @Override
    public String kind() {
        return "kernelCmdline";
    }

    static boolean grub(Host host) {
        return host.root().exists("/etc/default/grub");
    }

    @Override
    public Optional<String> unavailable(Host host) {
        if (grub(host)) {
            return Optional.empty();
        }
        CommandResult r = host.commands().run(Command.of("grubby", "--info=DEFAULT"));
        return r.ok() ? Optional.empty() : Optional.of("no GRUB configuration (/etc/default/grub does not exist) and no grubby");
    }

    /** Chameleon's arguments in the drop-in, in order. */
    static List<String> ours(Host host) {
        List<String> out = new ArrayList<>();
        Matcher m = DROP_IN_LINE.matcher(host.root().read(DROP_IN).text());
        if (m.find()) {
            out.addAll(words(m.group(1)));
        }
        return out;
    }

    static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.strip().split("\\s+"));
    }

    /** Arguments in /etc/default/grub itself. */
    static List<String> base(Host host) {
        List<String> out = new ArrayList<>();
        Matcher m = BASE_LINE.matcher(host.root().read("/etc/default/grub").text());
        while (m.find()) {
            out.addAll(words(m.group(2)));
        }
        return out;
    }

    @Override
    public Current read(Host host, SettingKey key) {
        String arg = key.target();
        if (arg.contains("\"") || arg.contains("'") || arg.contains("$") || arg.contains("`") || arg.contains("\\") || arg.isBlank()) {
            return Current.notApplicable("'" + arg + "' is not a plain kernel argument");
        }
        boolean configured;
        if (grub(host)) {
            HostFile d = host.root().read(DROP_IN);
            if (d.status() == HostFile.Status.UNREADABLE) {
                return Current.error("cannot read " + DROP_IN + ": " + d.error());
            }
            configured = ours(host).contains(arg) || base(host).contains(arg);
        } else {
            CommandResult r = host.commands().run(Command.of("grubby", "--info=DEFAULT"));
            if (!r.ok()) {
                return Current.error("cannot run 'grubby --info=DEFAULT': " + r.stderr().strip());
            }
            Matcher m = Pattern.compile("^args=\"?([^\"\\n]*)\"?", Pattern.MULTILINE).matcher(r.stdout());
            configured = m.find() && words(m.group(1)).contains(arg);
        }
        boolean running = words(host.root().read("/proc/cmdline").text()).contains(arg);
        String value = configured ? "present" : SettingEncodings.ABSENT;
        if (configured != running) {
            return Current.value(value, "pending-reboot: the running kernel (/proc/cmdline) " + (running ? "still has" : "does not have")
                    + " " + arg + " until the next boot");
        }
        return Current.value(value);
    }

    @Override
    public Current resolve(SettingKey key, String desired, String current) {
        return Values.oneOf(normalize(key, desired), List.of("present", SettingEncodings.ABSENT));
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        String arg = key.target();
        String what = "kernelCmdline " + arg + " = " + value;
        if (!grub(host)) {
            Commands.run(host, Command.of("grubby", "--update-kernel=ALL",
                    (value.equals("present") ? "--args=" : "--remove-args=") + arg), Commands.QUICK, what);
            recordReboot(host, key, value);
            return;
        }
        List<String> args = new ArrayList<>(ours(host));
        if (value.equals("present")) {
            if (!args.contains(arg)) {
                args.add(arg);
            }
        } else {
            if (base(host).contains(arg)) {
                throw new ActuatorException(what + ": " + arg + " is set in /etc/default/grub, outside chameleon's drop-in; remove it there");
            }
            args.remove(arg);
        }
        ManagedFile.write(host, DROP_IN, args.isEmpty() ? SettingEncodings.ABSENT
                        : "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT "
                + String.join(" ", args) + "\"\n", what);
        CommandResult r = host.commands().run(Command.of("update-grub"), Commands.BOOTLOADER);
        if (r.status() == CommandResult.Status.NOT_AVAILABLE) {
            Commands.run(host, Command.of("grub-mkconfig", "-o", "/boot/grub/grub.cfg"), Commands.BOOTLOADER, what);
        } else if (!r.ok()) {
            throw new ActuatorException(what + ": 'update-grub' failed: " + r.stderr().strip());
        }
        recordReboot(host, key, value);
    }

    /**
     * Notes in {@link RebootRecord} that the boot loader now has {@code value} while the running
     * kernel's {@code /proc/cmdline} does not agree (the {@code updates.reboot} fact), or removes
     * the note when it agrees (an undo).
     */
    static void recordReboot(Host host, SettingKey key, String value) throws ActuatorException {
        boolean running = words(host.root().read("/proc/cmdline").text()).contains(key.target());
        boolean wanted = value.equals("present");
        try {
            RebootRecord.put(host.root(), key.toString(), running == wanted ? null
                    : value + "; the running kernel's command line " + (running ? "still has it" : "does not have it") + " until the next boot");
        } catch (java.io.IOException e) {
            throw new ActuatorException("kernelCmdline " + key.target() + " = " + value + ": written, but the pending reboot could not be recorded in "
                    + RebootRecord.PATH + ": " + e.getMessage());
        }
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return value.equals("present") ? "grubby --update-kernel=ALL --args=" + key.target() + "  # or add it to " + DROP_IN + " and run update-grub"
                : "grubby --update-kernel=ALL --remove-args=" + key.target() + "  # or remove it from " + DROP_IN + " and run update-grub";
    }
}
