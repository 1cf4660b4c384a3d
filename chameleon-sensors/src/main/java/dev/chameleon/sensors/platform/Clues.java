package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the signal readers found: the evidence list, in reading order, plus a few facts about
 * which sources could be read at all (the resolver needs them to tell "looked and saw nothing"
 * from "could not look").
 */
public final class Clues {
    private final List<Evidence> evidence = new ArrayList<>();

    /** A DMI source gave the system's vendor or product (sysfs, dmidecode, raw SMBIOS). */
    boolean dmiSystemSeen;
    /** dmidecode printed a full dump (BIOS and System sections), or sysfs had most DMI files. */
    boolean dmiFull;
    /** At least one container-layer source was readable. */
    boolean containerSourcesSeen;
    /** The CPU architecture when known ({@code x86_64}, {@code aarch64}, {@code ppc64le}, ...). */
    String arch = "";
    /** /sys/devices/virtual/misc/kvm exists: this machine can run KVM guests itself. */
    boolean kvmHostCapable;
    /** A CPUID hypervisor signature was read (virt-what's helper ran, or the CPUID device answered). */
    boolean cpuidRead;
    /**
     * Sources that could have shown KVM and were read without showing it (x86 only: the CPUID
     * signature, the registered clocksources, the kernel log), each as "what was seen".
     */
    final List<String> noKvmSeen = new ArrayList<>();
    /** Where each {@link #noKvmSeen} entry was read. */
    final List<String> noKvmSources = new ArrayList<>();

    /** Notes that {@code source} could have shown KVM and showed {@code seen} instead. */
    void noKvm(String seen, String source) {
        noKvmSeen.add(seen);
        noKvmSources.add(source);
    }

    public void add(String signal, String value, String source, String supports, double weight) {
        evidence.add(new Evidence(signal, value, source, supports, weight));
    }

    public void add(Evidence e) {
        evidence.add(e);
    }

    /** A clue that supports several things at once (each becomes one evidence item). */
    public void addAll(String signal, String value, String source, List<String> supports, double weight) {
        for (String s : supports) {
            add(signal, value, source, s, weight);
        }
    }

    /** A note: a source that could not be read, or a clue that was set aside. */
    public void note(String signal, String value, String source) {
        add(signal, value, source, "nothing", 0.0);
    }

    public List<Evidence> evidence() {
        return Collections.unmodifiableList(evidence);
    }

    public boolean isX86() {
        return arch.matches("x86_64|i[3-6]86|amd64|x86");
    }

    public boolean archKnown() {
        return !arch.isEmpty();
    }
}
