package dev.offkern.nt;

/** {@code KBUGCHECK_DUMP_IO_TYPE} (wdm.h): what a dump write carries. */
public final class KBUGCHECK_DUMP_IO_TYPE {
    public static final int KbDumpIoInvalid = 0;
    public static final int KbDumpIoHeader = 1;
    public static final int KbDumpIoBody = 2;
    public static final int KbDumpIoSecondaryData = 3;
    /** The last call: Buffer NULL, BufferLength 0. */
    public static final int KbDumpIoComplete = 4;

    private KBUGCHECK_DUMP_IO_TYPE() {
    }
}
