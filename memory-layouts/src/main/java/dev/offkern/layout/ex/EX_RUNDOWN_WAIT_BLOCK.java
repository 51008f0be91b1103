package dev.offkern.layout.ex;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ke.KEVENT;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The block a run-down waiter sleeps on (kernel-private; ReactOS's and the NDK's declaration). While
 * a run-down is in progress the {@code EX_RUNDOWN_REF} word holds this block's address with
 * {@code EX_RUNDOWN_ACTIVE} set; every release that finds the bit takes its holders off
 * {@code Count}, and the one that brings it to zero sets {@code WakeEvent}.
 * <pre>{@code
 * typedef struct _EX_RUNDOWN_WAIT_BLOCK {
 *   ULONG_PTR Count;        // holders still to release
 *   KEVENT WakeEvent;       // SynchronizationEvent
 * } EX_RUNDOWN_WAIT_BLOCK, *PEX_RUNDOWN_WAIT_BLOCK;     // x64: 0x20 bytes, x86: 0x14
 * }</pre>
 * Windows puts it on the waiter's stack; offkern keeps it in the waiting thread's block
 * ({@link dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK}), which the word's readers resolve like any
 * kernel memory.
 */
public final class EX_RUNDOWN_WAIT_BLOCK {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** ULONG_PTR: protections still held (holders, not word units). */
    public static final long COUNT_OFFSET = X64.offset("Count");
    /** KEVENT: the SynchronizationEvent the last release sets. */
    public static final long WAKE_EVENT_OFFSET = X64.offset("WakeEvent");

    /** VarHandle of Count (long), coordinates (MemorySegment, long base offset of the block). */
    public static final VarHandle COUNT = LAYOUT.varHandle(groupElement("Count"));

    private EX_RUNDOWN_WAIT_BLOCK() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("EX_RUNDOWN_WAIT_BLOCK", abi)
                .field("Count", CType.ULONG_PTR)
                .field("WakeEvent", KEVENT.of(abi))
                .build();
    }
}
