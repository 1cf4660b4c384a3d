package dev.chameleon.policy;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when policies do not compile; carries every positioned error found. */
public final class PolicyException extends Exception {
    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    public List<PolicyError> errors() {
        return errors;
    }
}
