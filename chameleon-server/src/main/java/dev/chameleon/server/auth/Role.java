package dev.chameleon.server.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * An operator's role. Each role may do what the ones below it may:
 * {@code viewer} reads everything; {@code operator} also uploads policies, runs rollouts,
 * creates enrollment tokens and removes agents; {@code admin} also manages API tokens.
 */
public enum Role {
    VIEWER, OPERATOR, ADMIN;

    /** The lower-case name used in the API and the database. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> of(String wire) {
        return Arrays.stream(values()).filter(r -> r.wire().equals(wire)).findFirst();
    }

    /** Whether this role includes {@code other}'s rights. */
    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }
}
