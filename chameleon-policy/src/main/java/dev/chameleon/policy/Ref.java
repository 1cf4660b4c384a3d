package dev.chameleon.policy;

/**
 * A name written in a policy file that refers to something else (a profile in
 * {@code spec.profiles} or {@code spec.include}, a setting key in a test), with its position.
 *
 * @param name   the name as written
 * @param line   1-based line
 * @param column 1-based column
 */
public record Ref(String name, int line, int column) {
}
