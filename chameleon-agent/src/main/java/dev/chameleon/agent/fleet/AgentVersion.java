package dev.chameleon.agent.fleet;

/** The agent's version as the server sees it (enrollment, User-Agent): the jar's Implementation-Version, else {@value #DEVELOPMENT}. */
public final class AgentVersion {
    /** The version of a build without a manifest (tests, the IDE). */
    public static final String DEVELOPMENT = "0.1.0-SNAPSHOT";

    private AgentVersion() {
    }

    public static String get() {
        String v = AgentVersion.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? DEVELOPMENT : v;
    }
}
