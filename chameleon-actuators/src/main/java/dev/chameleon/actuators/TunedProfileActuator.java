package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * TuneD's active profile: {@code tunedProfile:active} is the profile name from
 * {@code tuned-adm active} ("Current active profile: virtual-guest"), or {@code none}. Written with
 * {@code tuned-adm profile NAME} ({@code tuned-adm off} for {@code none}); the name must be one
 * {@code tuned-adm list} offers. Not applicable when {@code tuned-adm} is not installed. While a
 * profile is active, the settings it owns are left to TuneD (see {@link TunedOwnership}).
 */
public final class TunedProfileActuator implements Actuator {
    @Override
    public String kind() {
        return "tunedProfile";
    }

    @Override
    public Optional<String> unavailable(Host host) {
        CommandResult r = host.commands().run(Command.of("tuned-adm", "active"));
        return r.status() == CommandResult.Status.NOT_AVAILABLE ? Optional.of("TuneD is not installed (no tuned-adm)") : Optional.empty();
    }

    @Override
    public Current read(Host host, SettingKey key) {
        if (!key.target().equals("active")) {
            return Current.notApplicable("tunedProfile manages 'active' only, not " + key.target());
        }
        CommandResult r = host.commands().run(Command.of("tuned-adm", "active"));
        String out = r.stdout();
        for (String line : out.split("\n")) {
            if (line.startsWith("Current active profile:")) {
                return Current.value(line.substring("Current active profile:".length()).strip());
            }
            if (line.startsWith("No current active profile")) {
                return Current.value("none");
            }
        }
        return Current.error("cannot tell TuneD's profile from 'tuned-adm active': " + (out + r.stderr()).strip());
    }

    @Override
    public Optional<String> machineCheck(SettingKey key, String desired) {
        return normalize(key, desired).equals("none") ? Optional.empty()
                : Optional.of("whether TuneD offers the profile '" + normalize(key, desired) + "' ('tuned-adm list' on the machine)");
    }

    @Override
    public Current target(Host host, SettingKey key, String desired, Current current) {
        String d = normalize(key, desired);
        if (d.equals("none")) {
            return Current.value(d);
        }
        CommandResult r = host.commands().run(Command.of("tuned-adm", "list"));
        List<String> names = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (line.startsWith("- ")) {
                names.add(line.substring(2).strip().split("\\s+")[0]);
            }
        }
        return Values.oneOf(d, names);
    }

    @Override
    public void write(Host host, SettingKey key, String value, String before) throws ActuatorException {
        Command c = value.equals("none") ? Command.of("tuned-adm", "off") : Command.of("tuned-adm", "profile", value);
        Commands.run(host, c, Commands.SLOW, "tunedProfile active = " + value);
    }

    @Override
    public String manualCommand(SettingKey key, String value) {
        return value.equals("none") ? "tuned-adm off" : "tuned-adm profile " + value;
    }
}
