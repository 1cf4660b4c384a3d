package dev.chameleon.actuators;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The record of every change Chameleon made, under {@code STATE_DIR/journal/}: one JSON file per
 * change set ({@code <id>.json}), replaced atomically and fsync'd at every step, so that the old
 * value is on disk before any write reaches the machine. Files are never deleted; a file that
 * cannot be parsed is reported by name and left as it is. The state folder's lock, taken by whoever
 * writes the journal, is the engine's ({@code dev.chameleon.engine.StateFolder}).
 */
public final class Journal {
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);
    private final Path stateDir;
    private final Path dir;
    private String lastId = "";
    /** What list() read, by file, with the file's identity, size and time then: unchanged files are not parsed again. */
    private final Map<Path, Parsed> parsed = new java.util.concurrent.ConcurrentHashMap<>();

    private record Parsed(Object stamp, Loaded loaded) {
    }

    /** A file's inode, size and modification time (a rewrite is a rename: a new inode); null when unreadable. */
    private static Object stamp(Path f) {
        try {
            var a = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime());
        } catch (IOException e) {
            return null;
        }
    }

    public Journal(Path stateDir) {
        this.stateDir = stateDir.toAbsolutePath().normalize();
        this.dir = this.stateDir.resolve("journal");
    }

    public Path directory() {
        return dir;
    }

    /** A change set read back, or the file that could not be read and why. */
    public record Loaded(Path file, ChangeSet changeSet, String error) {
        public boolean ok() {
            return changeSet != null;
        }
    }

    /** Starts a change set and writes it (status {@code in-progress}) before anything else happens. */
    public ChangeSet begin(String trigger) throws IOException {
        Instant now = Instant.now();
        String id = ID.format(now);
        while (id.compareTo(lastId) <= 0 || Files.exists(dir.resolve(id + ".json"))) {
            now = now.plusMillis(1);
            id = ID.format(now);
        }
        lastId = id;
        long seq = 0;
        for (Loaded l : list()) {
            if (l.ok()) {
                seq = Math.max(seq, l.changeSet().sequence());
            }
        }
        ChangeSet cs = new ChangeSet(seq + 1, id, now.toString(), trigger, "in-progress", "", List.of());
        save(cs);
        return cs;
    }

    /**
     * Writes the change set atomically (temporary file, fsync, rename, fsync of the folder). On
     * failure the previous version of the file is untouched.
     *
     * @throws IOException "cannot write the journal file F: REASON" (a full disk, a read-only or
     *                     missing state folder)
     */
    public void save(ChangeSet cs) throws IOException {
        Path file = dir.resolve(cs.id() + ".json");
        try {
            Files.createDirectories(dir);
            SysRoot.writeAtomically(file, dev.chameleon.model.json.ChangeSetCodec.write(cs));
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileAlreadyExistsException ? "a file is in the way of the folder " + e.getMessage()
                    : e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null ? fse.getReason()
                    : String.valueOf(e.getMessage());
            throw new IOException("cannot write the journal file " + file + ": " + why, e);
        }
    }

    /**
     * Every change set in journal order (by sequence, then id); unreadable files come back with
     * their error, sorted first.
     */
    public List<Loaded> list() {
        List<Loaded> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            out.add(new Loaded(dir, null, "cannot list the journal: " + e.getMessage()));
            return out;
        }
        parsed.keySet().retainAll(files);
        for (Path f : files) {
            Object stamp = stamp(f);
            Parsed seen = parsed.get(f);
            if (stamp != null && seen != null && seen.stamp().equals(stamp)) {
                out.add(seen.loaded()); // unchanged since the last list(): a long-running agent reads only what changed
                continue;
            }
            int before = out.size();
            try {
                ChangeSet cs = dev.chameleon.model.json.ChangeSetCodec.read(f);
                if (cs.id() == null || cs.status() == null || cs.entries() == null) {
                    out.add(new Loaded(f, null, "not a change set (id, status or entries missing)"));
                } else {
                    out.add(new Loaded(f, cs, ""));
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                out.add(new Loaded(f, null, "unreadable journal file: not valid JSON or not a change set (line "
                        + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")"));
            } catch (IOException | RuntimeException e) {
                out.add(new Loaded(f, null, "unreadable journal file: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")));
            }
            if (stamp != null && out.size() > before) {
                parsed.put(f, new Parsed(stamp, out.get(out.size() - 1)));
            }
        }
        out.sort(java.util.Comparator.comparingLong((Loaded l) -> l.ok() ? l.changeSet().sequence() : -1)
                .thenComparing(l -> l.file().getFileName().toString()));
        return out;
    }
}
