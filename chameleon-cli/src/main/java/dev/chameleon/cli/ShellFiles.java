package dev.chameleon.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.zip.GZIPOutputStream;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Generates, from the picocli model of every command, the files the Debian package installs:
 * {@code chameleon.bash} (bash completion, picocli's {@link AutoComplete}), {@code _chameleon}
 * (zsh completion: the same script through zsh's {@code bashcompinit}) and {@code chameleon.1.gz}
 * (the man page: each command's synopsis, description and options as {@code --help} prints them,
 * and the exit codes). Run by the packaging module's build:
 * {@code java -cp chameleon.jar dev.chameleon.cli.ShellFiles OUTPUT-DIR}.
 */
public final class ShellFiles {
    private ShellFiles() {
    }

    /** The command line with every subcommand registered (as {@code chameleon --help} sees it). */
    static CommandLine model() {
        CommandLine cl = new CommandLine(new Cli());
        Cli.subcommands().forEach((name, make) -> cl.addSubcommand(name, make.get()));
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        cl.getCommandSpec().usageMessage().width(78);
        return cl;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ShellFiles OUTPUT-DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        CommandLine cl = model();
        String bash = AutoComplete.bash("chameleon", cl);
        Files.writeString(dir.resolve("chameleon.bash"), bash);
        Files.writeString(dir.resolve("_chameleon"), zsh());
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("chameleon.1.gz")))) {
            out.write(man(cl).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** zsh's completion function: picocli's bash script, loaded through bashcompinit. */
    static String zsh() {
        return """
                #compdef chameleon
                # chameleon's completion for zsh: the bash completion (generated from the same picocli
                # model), run through zsh's bashcompinit.
                autoload -U +X bashcompinit && bashcompinit
                if [ -r /usr/share/bash-completion/completions/chameleon ]; then
                  source /usr/share/bash-completion/completions/chameleon
                  _bash_complete -F _complete_chameleon "$@"
                fi
                """;
    }

    /** The man page in roff, from the model: NAME, SYNOPSIS, DESCRIPTION, COMMANDS, EXIT STATUS. */
    static String man(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        StringBuilder b = new StringBuilder();
        b.append(".TH CHAMELEON 1 \"").append(LocalDate.of(2026, 1, 1).getYear()).append("\" \"")
                .append(roff(spec.version()[0])).append("\" \"User Commands\"\n");
        b.append(".SH NAME\nchameleon \\- ").append(roff(spec.usageMessage().description()[0])).append('\n');
        b.append(".SH SYNOPSIS\n.B chameleon\n.I COMMAND\n[\\fIOPTIONS\\fR]\n");
        b.append(".SH DESCRIPTION\n").append(roff(String.join(" ", spec.usageMessage().description()))).append('\n');
        b.append("The default of every command is safe: \\fBplan\\fR shows what would change; only \\fBapply \\-\\-yes\\fR ")
                .append("and \\fBrun \\-\\-mode apply\\fR change the machine.\n");
        b.append(".SH COMMANDS\n");
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            command(b, "chameleon " + e.getKey(), e.getValue());
            for (var sub : e.getValue().getSubcommands().entrySet()) {
                command(b, "chameleon " + e.getKey() + " " + sub.getKey(), sub.getValue());
            }
        }
        b.append(".SH EXIT STATUS\n.nf\n");
        for (String line : spec.usageMessage().footer()) {
            b.append(roff(line)).append('\n');
        }
        b.append(".fi\n.SH FILES\n.TP\n/etc/chameleon/agent.yaml\nthe agent's configuration\n.TP\n/etc/chameleon/policies.d/\n")
                .append("policies added to the built-in pack\n.TP\n/var/lib/chameleon/\nthe journal of every change set, the agent's ")
                .append("events and control socket\n");
        b.append(".SH SEE ALSO\n.BR sysctl (8),\n.BR systemd-detect-virt (1),\n.BR tuned-adm (8)\n");
        return b.toString();
    }

    private static void command(StringBuilder b, String name, CommandLine c) {
        CommandSpec s = c.getCommandSpec();
        b.append(".SS ").append(roff(name)).append('\n');
        b.append(roff(String.join(" ", s.usageMessage().description()))).append('\n');
        for (OptionSpec o : s.options()) {
            if (o.hidden() || o.usageHelp() || o.versionHelp()) {
                continue;
            }
            b.append(".TP\n.B ").append(roff(String.join(", ", o.names())));
            if (o.arity().max() > 0) {
                b.append(" \\fI").append(roff(o.paramLabel())).append("\\fR");
            }
            b.append('\n').append(roff(String.join(" ", o.description()).replace("${DEFAULT-VALUE}",
                    String.valueOf(o.defaultValue())))).append('\n');
        }
        for (var p : s.positionalParameters()) {
            b.append(".TP\n.I ").append(roff(p.paramLabel())).append('\n').append(roff(String.join(" ", p.description()))).append('\n');
        }
    }

    /** Text safe in roff: backslashes and leading dots or quotes escaped, dashes as minus signs. */
    static String roff(String text) {
        String t = text.replace("\\", "\\e").replace("-", "\\-");
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
