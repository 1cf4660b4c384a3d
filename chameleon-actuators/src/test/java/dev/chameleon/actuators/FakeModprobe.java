package dev.chameleon.actuators;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A fake {@code modprobe} for fixture roots: it edits the tree's {@code /proc/modules} as the
 * kernel would and records every call. Stands in for the real program, which cannot load modules
 * into a temporary folder; the real one is exercised in the QEMU guest test.
 */
final class FakeModprobe implements CommandRunner {
    final SysRoot root;
    final List<String> calls = new ArrayList<>();
    final List<String> refuse = new ArrayList<>();
    /** Modules that loading a module also loads (its dependencies), as modprobe does. */
    final java.util.Map<String, List<String>> deps = new java.util.HashMap<>();

    FakeModprobe(SysRoot root) {
        this.root = root;
    }

    @Override
    public CommandResult run(Command command, Duration timeout) {
        calls.add(command.display());
        if (!command.program().equals("modprobe")) {
            return CommandResult.notAvailable("fake", command.program() + ": not installed");
        }
        boolean remove = command.argv().contains("-r");
        String name = command.argv().get(command.argv().size() - 1);
        if (refuse.contains(name)) {
            return new CommandResult(CommandResult.Status.RAN, 1, "", "modprobe: FATAL: Module " + name + " not found", "fake");
        }
        try {
            var p = root.resolve("/proc/modules");
            List<String> lines = new ArrayList<>(Files.exists(p) ? Files.readAllLines(p) : List.of());
            lines.removeIf(l -> l.startsWith(name + " "));
            if (!remove) {
                for (String dep : deps.getOrDefault(name, List.of())) {
                    if (lines.stream().noneMatch(l -> l.startsWith(dep + " "))) {
                        lines.add(dep + " 16384 1 " + name + ", Live 0x0000000000000000");
                    }
                }
                lines.add(name + " 16384 0 - Live 0x0000000000000000");
            } else {
                for (String dep : deps.getOrDefault(name, List.of())) {
                    lines.removeIf(l -> l.startsWith(dep + " "));
                }
            }
            Files.writeString(p, lines.stream().collect(Collectors.joining("\n", "", "\n")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new CommandResult(CommandResult.Status.RAN, 0, "", "", "fake");
    }

    @Override
    public String describe() {
        return "fake modprobe " + Arrays.toString(refuse.toArray());
    }
}
