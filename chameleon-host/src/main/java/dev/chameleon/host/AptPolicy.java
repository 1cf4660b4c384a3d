package dev.chameleon.host;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What apt offers for some packages, parsed from {@code apt-cache policy PKG...}: the installed
 * version, apt's candidate (the version {@code apt-get install PKG} would install, after pins and
 * priorities) and the version table with each version's sources.
 *
 * <p>The parser reads the layout, not the words, so a translated header parses the same as the C
 * locale's (commands run with {@code LC_ALL=C} anyway): a package starts at a line in column 0
 * ending in {@code :}; its first indented {@code label: value} line is the installed version, the
 * second the candidate (a value in parentheses, {@code (none)} or {@code (keine)}, means none); a
 * version row is {@code " *** VERSION PRIO"} (the installed one) or {@code "     VERSION PRIO"};
 * a source line under it is eight spaces, a priority and the source
 * ({@code 500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages}).
 * apt prints the version table from the newest version down, so "the candidate is newer than the
 * installed version" is read from apt's own order ({@link Pkg#candidateNewer()}), with no second
 * implementation of Debian's version comparison. A package apt does not know is not in the output
 * (nor in the result). Truncated text gives what was complete: a package without its candidate
 * line has no candidate.
 */
public final class AptPolicy {
    private static final Pattern ROW = Pattern.compile("^ (\\*\\*\\*| {3}) (\\S+) (-?\\d+)\\s*$");
    private static final Pattern SOURCE = Pattern.compile("^ {6,}(-?\\d+) (\\S.*?)\\s*$");

    private AptPolicy() {
    }

    /** The local dpkg database as a "source" of the installed version, not a place apt can fetch from. */
    public static final String DPKG_STATUS = "/var/lib/dpkg/status";

    /**
     * One source line of a version: {@code text} as apt prints it after the priority.
     *
     * @param priority the pin priority (500 for a normal archive, 100 for the dpkg status)
     * @param text     {@code http://deb.debian.org/debian-security bookworm-security/main amd64 Packages} or {@code /var/lib/dpkg/status}
     */
    public record Source(int priority, String text) {
        /** The archive's suite and component ({@code bookworm-security/main}); empty for local files. */
        public String suite() {
            String[] w = text.split("\\s+");
            return w.length >= 2 ? w[1] : "";
        }

        /** True for the dpkg status (what is installed), which apt cannot install from. */
        public boolean local() {
            return text.equals(DPKG_STATUS);
        }

        /**
         * A security archive: the suite ends in {@code -security} (Debian 11+, Ubuntu:
         * {@code bookworm-security/main}, {@code jammy-security/main}) or the archive is
         * {@code security.debian.org} (Debian 10 and older: {@code buster/updates}) or
         * {@code security.ubuntu.com}.
         */
        public boolean security() {
            String suite = suite();
            int slash = suite.indexOf('/');
            String s = slash < 0 ? suite : suite.substring(0, slash);
            String url = text.split("\\s+")[0];
            return s.endsWith("-security") || url.contains("://security.debian.org") || url.contains("://security.ubuntu.com");
        }
    }

    /** One row of the version table, newest first. */
    public record Version(String version, boolean installed, int priority, List<Source> sources) {
        public Version {
            sources = List.copyOf(sources);
        }

        /** apt can install this version: it has a source other than the dpkg status. */
        public boolean offered() {
            return sources.stream().anyMatch(s -> !s.local());
        }

        /** One of its sources is a security archive. */
        public boolean fromSecurity() {
            return sources.stream().anyMatch(Source::security);
        }
    }

    /**
     * One package.
     *
     * @param installed the installed version; empty when not installed
     * @param candidate apt's candidate; empty when apt would install nothing
     * @param versions  the version table, newest first (empty when truncated)
     */
    public record Pkg(String name, Optional<String> installed, Optional<String> candidate, List<Version> versions) {
        public Pkg {
            versions = List.copyOf(versions);
        }

        /** The table's row of {@code version}. */
        public Optional<Version> version(String version) {
            return versions.stream().filter(v -> v.version().equals(version)).findFirst();
        }

        /** apt can install {@code version} (an archive offers it, not only the dpkg status). */
        public boolean offers(String version) {
            return version(version).map(Version::offered).orElse(false);
        }

        /**
         * The candidate is newer than the installed version, by apt's own order of the version
         * table; empty when either is missing or not in the table (truncated output).
         */
        public Optional<Boolean> candidateNewer() {
            if (installed.isEmpty() || candidate.isEmpty()) {
                return Optional.empty();
            }
            int c = index(candidate.get());
            int i = index(installed.get());
            return c < 0 || i < 0 ? Optional.empty() : Optional.of(c < i);
        }

        /** The candidate comes from a security archive; empty without a candidate or its row. */
        public Optional<Boolean> candidateFromSecurity() {
            return candidate.flatMap(this::version).map(Version::fromSecurity);
        }

        private int index(String v) {
            for (int i = 0; i < versions.size(); i++) {
                if (versions.get(i).version().equals(v)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Every package in the text, by name (an architecture qualifier {@code :i386} is kept). */
    public static Map<String, Pkg> parse(String text) {
        Map<String, Pkg> out = new LinkedHashMap<>();
        String name = null;
        List<String> fields = new ArrayList<>();
        List<Version> versions = new ArrayList<>();
        String rowVersion = null;
        boolean rowInstalled = false;
        int rowPriority = 0;
        List<Source> rowSources = new ArrayList<>();
        for (String line : (text + "\n").split("\n", -1)) {
            line = line.stripTrailing();
            Matcher row = ROW.matcher(line);
            Matcher src = SOURCE.matcher(line);
            boolean header = !line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && line.endsWith(":");
            if (rowVersion != null && (header || row.matches() || line.isEmpty())) {
                versions.add(new Version(rowVersion, rowInstalled, rowPriority, rowSources));
                rowVersion = null;
            }
            if (header || line.isEmpty() && name != null) {
                if (name != null) {
                    out.put(name, pkg(name, fields, versions));
                }
                name = header ? line.substring(0, line.length() - 1) : null;
                fields = new ArrayList<>();
                versions = new ArrayList<>();
            } else if (name == null) {
                continue; // before the first package (a warning line) or between packages
            } else if (row.matches()) {
                rowVersion = row.group(2);
                rowInstalled = row.group(1).equals("***");
                rowPriority = Integer.parseInt(row.group(3));
                rowSources = new ArrayList<>();
            } else if (src.matches() && rowVersion != null) {
                rowSources.add(new Source(Integer.parseInt(src.group(1)), src.group(2)));
            } else if (versions.isEmpty() && rowVersion == null && line.contains(":")) {
                fields.add(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return out;
    }

    private static Pkg pkg(String name, List<String> fields, List<Version> versions) {
        return new Pkg(name, field(fields, 0), field(fields, 1), versions);
    }

    private static Optional<String> field(List<String> fields, int i) {
        if (fields.size() <= i) {
            return Optional.empty();
        }
        String v = fields.get(i);
        return v.isEmpty() || v.startsWith("(") || v.contains(" ") ? Optional.empty() : Optional.of(v);
    }

    /** {@code apt-cache policy PKG...}, with a fixed canned-output name ({@code apt-cache-policy}). */
    public static Command command(List<String> packages) {
        List<String> argv = new ArrayList<>(List.of("apt-cache", "policy"));
        argv.addAll(packages);
        return new Command("apt-cache-policy", argv);
    }
}
