package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What every signal reader gets: the machine (files under the root, commands through the
 * runner), the signature tables, and the clue list to add to. Commands run at most once, each
 * through {@code run}: the runner with its default timeout, or (in a sensor) the sensor
 * context's {@link dev.chameleon.sensors.SensorContext#run}, which keeps every command within
 * what is left of the sensor's time.
 */
public final class Probe {
    private final SysRoot root;
    private final Function<Command, CommandResult> commands;
    private final Signatures.Tables tables;
    private final Clues clues = new Clues();
    private final Map<String, CommandResult> ran = new HashMap<>();

    public Probe(SysRoot root, CommandRunner commands, Signatures.Tables tables) {
        this(root, commands::run, tables);
    }

    /** A probe whose commands run through {@code commands} (which may cut their time or refuse them). */
    public Probe(SysRoot root, Function<Command, CommandResult> commands, Signatures.Tables tables) {
        this.root = root;
        this.commands = commands;
        this.tables = tables;
    }

    public SysRoot root() {
        return root;
    }

    public Signatures.Tables tables() {
        return tables;
    }

    public Clues clues() {
        return clues;
    }

    public HostFile read(String path) {
        return root.read(path);
    }

    /** The text of a present file, else empty; an unreadable file is recorded as a note. */
    public Optional<String> text(String path, String signal) {
        HostFile f = root.read(path);
        if (f.status() == HostFile.Status.UNREADABLE) {
            clues.note(signal, "unreadable: " + f.error(), path);
            return Optional.empty();
        }
        return f.isPresent() ? Optional.of(f.text()) : Optional.empty();
    }

    public boolean exists(String path) {
        return root.exists(path);
    }

    public List<String> list(String path) {
        return root.list(path);
    }

    /**
     * The first {@code max} bytes of a binary file under the root (ACPI tables, raw SMBIOS
     * entries), read through the root's path resolution; empty when absent or unreadable.
     */
    public Optional<byte[]> bytes(String path, int max) {
        return root.readBytes(path, max);
    }

    /** Runs a command once; the result is remembered for other readers. */
    public CommandResult run(Command c) {
        CommandResult known = ran.get(c.name());
        if (known != null) {
            return known;
        }
        CommandResult r;
        try {
            r = commands.apply(c);
        } catch (RuntimeException e) {
            r = new CommandResult(CommandResult.Status.FAILED_TO_START, -1, "",
                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), source(c));
        }
        if (r.status() == CommandResult.Status.FAILED_TO_START || r.status() == CommandResult.Status.TIMED_OUT) {
            clues.note("command", r.status().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.stderr(), source(c));
        }
        ran.put(c.name(), r);
        return r;
    }

    /** Standard output of a command that ran and exited 0, else empty. */
    public Optional<String> output(Command c) {
        CommandResult r = run(c);
        return r.ok() ? Optional.of(r.stdout()) : Optional.empty();
    }

    public static String source(Command c) {
        return "command: " + c.display();
    }
}
