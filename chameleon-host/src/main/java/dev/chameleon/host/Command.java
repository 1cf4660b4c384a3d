package dev.chameleon.host;

import java.util.List;

/**
 * A command Chameleon may run, with the name its canned output has in a fixture's
 * {@code commands/} folder.
 *
 * @param name the canned-output file name ({@code dmidecode-s-system-manufacturer})
 * @param argv the program and its arguments ({@code dmidecode -s system-manufacturer})
 */
public record Command(String name, List<String> argv) {
    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("command " + name + " has no program");
        }
    }

    /** A command whose canned name is its words joined with '-' and leading dashes dropped. */
    public static Command of(String... argv) {
        StringBuilder sb = new StringBuilder();
        for (String a : argv) {
            if (sb.length() > 0) {
                sb.append('-');
            }
            sb.append(a.replaceFirst("^-+", ""));
        }
        return new Command(sb.toString(), List.of(argv));
    }

    /** A command with an explicit canned name. */
    public static Command named(String name, String... argv) {
        return new Command(name, List.of(argv));
    }

    public String program() {
        return argv.get(0);
    }

    /** The command as a person would type it. */
    public String display() {
        return String.join(" ", argv);
    }
}
