package dev.offkern.nt;


/**
 * A structure or entry address that is not aligned as the routine requires: what Windows raises as
 * {@code STATUS_DATATYPE_MISALIGNMENT} (0x80000002) from {@code InitializeSListHead} on a misaligned
 * x64 header. offkern raises it from every SLIST routine given a header or entry that is not
 * 16-byte aligned, before touching memory, so a misaligned address is refused instead of silently
 * corrupting the list (the shim masks the low 4 bits of NextEntry, as Windows does).
 */
public final class DatatypeMisalignmentException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long address;

    public DatatypeMisalignmentException(String what, long address, long alignment) {
        super("STATUS_DATATYPE_MISALIGNMENT: " + what + " at 0x" + Long.toHexString(address) + " is not "
                + alignment + "-byte aligned");
        this.address = address;
    }

    /** The misaligned address. */
    public long address() {
        return address;
    }

    /** {@code STATUS_DATATYPE_MISALIGNMENT}. */
    public int status() {
        return NtStatus.STATUS_DATATYPE_MISALIGNMENT;
    }
}
