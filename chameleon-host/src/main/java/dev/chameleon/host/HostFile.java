package dev.chameleon.host;

/**
 * The result of reading one file through a {@link SysRoot}.
 *
 * @param path   the machine path that was read ({@code /proc/cpuinfo})
 * @param status whether the file was there and readable
 * @param text   the decoded content when present, else empty
 * @param error  why it could not be read, when unreadable, else empty
 */
public record HostFile(String path, Status status, String text, String error) {
    public enum Status { PRESENT, ABSENT, UNREADABLE }

    static HostFile present(String path, String text) {
        return new HostFile(path, Status.PRESENT, text, "");
    }

    static HostFile absent(String path) {
        return new HostFile(path, Status.ABSENT, "", "");
    }

    static HostFile unreadable(String path, String error) {
        return new HostFile(path, Status.UNREADABLE, "", error);
    }

    public boolean isPresent() {
        return status == Status.PRESENT;
    }

    /**
     * The text without trailing NULs, newlines and surrounding blanks, as sysfs values are read;
     * embedded NUL bytes are turned into spaces.
     */
    public String trimmed() {
        return text.replace('\0', ' ').strip();
    }
}
