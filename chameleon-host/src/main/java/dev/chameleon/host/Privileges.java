package dev.chameleon.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The privileges of this very process (not of the machine under a root), from the live
 * {@code /proc/self/status} "Uid:" line (real, effective, saved, filesystem).
 */
public final class Privileges {
    private Privileges() {
    }

    /** True when the effective user id is 0; false when it is not or cannot be read. */
    public static boolean isRoot() {
        try {
            return effectiveUid(Files.readString(Path.of("/proc/self/status"))) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The effective uid from {@code /proc/PID/status} text, or -1. */
    public static long effectiveUid(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] p = line.substring(4).strip().split("\\s+");
                if (p.length >= 2) {
                    try {
                        return Long.parseLong(p[1]);
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
            }
        }
        return -1;
    }
}
