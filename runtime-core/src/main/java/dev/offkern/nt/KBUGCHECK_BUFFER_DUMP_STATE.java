package dev.offkern.nt;

/** {@code KBUGCHECK_BUFFER_DUMP_STATE} (wdm.h): the State byte of a bug-check callback record. */
public final class KBUGCHECK_BUFFER_DUMP_STATE {
    /** Initialized (KeInitializeCallbackRecord) or deregistered. */
    public static final int BufferEmpty = 0;
    /** Registered. */
    public static final int BufferInserted = 1;
    /** The callback is running. */
    public static final int BufferStarted = 2;
    /** The callback returned. */
    public static final int BufferFinished = 3;
    /** The callback failed (threw, or raised a nested bug check). */
    public static final int BufferIncomplete = 4;

    private KBUGCHECK_BUFFER_DUMP_STATE() {
    }

    /** The state's name. */
    public static String name(int state) {
        return switch (state) {
            case BufferEmpty -> "BufferEmpty";
            case BufferInserted -> "BufferInserted";
            case BufferStarted -> "BufferStarted";
            case BufferFinished -> "BufferFinished";
            case BufferIncomplete -> "BufferIncomplete";
            default -> "state " + state;
        };
    }
}
