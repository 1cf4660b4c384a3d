package dev.chameleon.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chameleon's own record of changes that take effect only at the next boot:
 * {@value #PATH}, one line per setting, {@code KEY<TAB>WHY}
 * ({@code package:intel-microcode\tinstalled 3.20240813.2 (was 3.20240514.1); loaded at the next boot}).
 *
 * <p>It is kept in {@code /run}, a tmpfs the next boot empties, so an entry lasts exactly until
 * the reboot it waits for (as Debian's {@code /run/reboot-required} does). Actuators whose change
 * needs a reboot ({@code package} for microcode and kernels, {@code kernelCmdline}) add their key
 * when they write and remove it when a later write (an undo) makes the running system agree again;
 * the {@code updates} sensor reads it into {@code updates.reboot}. One writer at a time: actuators
 * write only under the state folder's change lock.
 */
public final class RebootRecord {
    /** The record, a machine path (resolved under the root). */
    public static final String PATH = "/run/chameleon/reboot-required";

    private RebootRecord() {
    }

    /**
     * The entries of a record's text, in order: key → why. Lines without a tab, blank lines and
     * lines starting with {@code #} are skipped (a truncated last line is kept if it has a tab).
     */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int tab = line.indexOf('\t');
            if (line.isBlank() || line.startsWith("#") || tab <= 0) {
                continue;
            }
            String key = printable(line.substring(0, tab).strip());
            if (key.isEmpty()) {
                continue;
            }
            if (out.size() == MAX_ENTRIES && !out.containsKey(key)) {
                out.put("(more)", "the record holds more than " + MAX_ENTRIES + " entries; the rest are not shown (" + PATH + ")");
                break;
            }
            out.put(key, printable(line.substring(tab + 1).strip()));
        }
        return out;
    }

    /** Entries read from a record at most (a record is a few lines; a bigger one is damaged or hostile). */
    public static final int MAX_ENTRIES = 100;

    private static final java.util.regex.Pattern DEBIAN_PACKAGE = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9+.-]{0,127}");

    /**
     * The package names of Debian's {@code /run/reboot-required.pkgs} (one per line, as
     * maintainer scripts append them, often repeated): distinct, in order, at most
     * {@link #MAX_ENTRIES}; a line that is not a Debian package name is skipped. Linear in the text.
     */
    public static java.util.List<String> packages(String pkgsText) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (String line : pkgsText.split("\n")) {
            String l = line.strip();
            if (DEBIAN_PACKAGE.matcher(l).matches()) {
                out.add(l);
                if (out.size() == MAX_ENTRIES) {
                    break;
                }
            }
        }
        return java.util.List.copyOf(out);
    }

    /** {@code s} with control characters (a terminal's escapes among them) shown as {@code ?}. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return sb.toString();
    }

    /** The entries on the machine; empty when there is no record. */
    public static Map<String, String> read(SysRoot root) {
        HostFile f = root.read(PATH);
        return f.isPresent() ? parse(f.text()) : Map.of();
    }

    /**
     * Adds (or replaces) the entry for {@code key}, or removes it when {@code why} is null; the
     * file is removed when no entry is left.
     *
     * @throws IOException the record could not be written
     */
    public static void put(SysRoot root, String key, String why) throws IOException {
        Map<String, String> m = new LinkedHashMap<>(read(root));
        if (why == null) {
            if (m.remove(key) == null) {
                return;
            }
        } else {
            m.put(key, why.replace('\n', ' ').replace('\t', ' '));
        }
        java.nio.file.Path p = root.resolve(PATH);
        if (m.isEmpty()) {
            java.nio.file.Files.deleteIfExists(p);
            return;
        }
        StringBuilder sb = new StringBuilder("# changes chameleon made that take effect at the next boot (emptied by the boot: /run)\n");
        m.forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
        SysRoot.writeAtomically(p, sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
