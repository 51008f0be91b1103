package dev.offkern.nt;

import java.util.Locale;

/**
 * A bug check raised to the caller: the stop code and its four parameters, as
 * {@code KeBugCheckEx(BugCheckCode, P1, P2, P3, P4)} would report them. Thrown under the THROW
 * policy (the default); under HALT the kernel also stops accepting calls.
 */
public final class BugCheck extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final long p1;
    private final long p2;
    private final long p3;
    private final long p4;

    public BugCheck(int code, long p1, long p2, long p3, long p4, String detail) {
        super(describe(code, p1, p2, p3, p4, detail));
        this.code = code;
        this.p1 = p1;
        this.p2 = p2;
        this.p3 = p3;
        this.p4 = p4;
    }

    /** The stop code (BugCheckCode). */
    public int code() {
        return code;
    }

    public long parameter1() {
        return p1;
    }

    public long parameter2() {
        return p2;
    }

    public long parameter3() {
        return p3;
    }

    public long parameter4() {
        return p4;
    }

    /** The four parameters in order. */
    public long[] parameters() {
        return new long[] {p1, p2, p3, p4};
    }

    private static String describe(int code, long p1, long p2, long p3, long p4, String detail) {
        return String.format(Locale.ROOT, "*** STOP: 0x%08X (0x%X, 0x%X, 0x%X, 0x%X) %s%s", code, p1, p2, p3, p4,
                BugCheckCode.name(code), detail == null || detail.isEmpty() ? "" : ": " + detail);
    }
}
