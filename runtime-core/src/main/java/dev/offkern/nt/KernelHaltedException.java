package dev.offkern.nt;


/**
 * Thrown by every call into a kernel that a bug check halted ({@link BugCheckPolicy#HALT}). Carries
 * the bug check that stopped the kernel: {@link #bugCheck()} gives its code and parameters, and
 * {@link #dumpFile()} the dump it wrote (or {@code null} when writing failed).
 */
public final class KernelHaltedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient BugCheck bugCheck;
    private final String dumpFile;

    public KernelHaltedException(BugCheck bugCheck, String dumpFile) {
        super("offkern kernel halted by bug check: " + bugCheck.getMessage()
                + (dumpFile == null ? " (no dump written)" : " (dump: " + dumpFile + ")"), bugCheck);
        this.bugCheck = bugCheck;
        this.dumpFile = dumpFile;
    }

    /** The bug check that halted the kernel. */
    public BugCheck bugCheck() {
        return bugCheck;
    }

    /** The stop code of the halting bug check. */
    public int code() {
        return bugCheck.code();
    }

    /** The four parameters of the halting bug check. */
    public long[] parameters() {
        return bugCheck.parameters();
    }

    /** The dump file's path, or {@code null}. */
    public String dumpFile() {
        return dumpFile;
    }
}
