package dev.chameleon.sensors;

import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A fake machine built in a temporary folder: {@code root/} files and links, {@code commands/} output. */
final class Tree {
    final Path dir;

    Tree(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("root"));
            Files.createDirectories(dir.resolve("commands"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path path(String machinePath) {
        return dir.resolve("root").resolve(machinePath.substring(1));
    }

    Tree file(String machinePath, String content) {
        return bytes(machinePath, content.getBytes(StandardCharsets.UTF_8));
    }

    Tree bytes(String machinePath, byte[] content) {
        try {
            Path p = path(machinePath);
            Files.createDirectories(p.getParent());
            Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    Tree dir(String machinePath) {
        try {
            Files.createDirectories(path(machinePath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A symbolic link at {@code machinePath} with the literal {@code target} (relative, as sysfs has them). */
    Tree link(String machinePath, String target) {
        try {
            Path p = path(machinePath);
            Files.createDirectories(p.getParent());
            Files.createSymbolicLink(p, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    Tree command(String name, String stdout) {
        try {
            Files.writeString(dir.resolve("commands").resolve(name), stdout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    Host host() {
        return new Host(new SysRoot(dir.resolve("root")), new CannedCommandRunner(dir.resolve("commands")));
    }

    SensorContext context() {
        return new SensorContext(host());
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> sense(Sensor s) throws Exception {
        return (Map<String, Object>) s.sense(context());
    }

    @SuppressWarnings("unchecked")
    java.util.List<Map<String, Object>> senseList(Sensor s) throws Exception {
        return (java.util.List<Map<String, Object>>) s.sense(context());
    }
}
