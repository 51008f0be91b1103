package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ps.ETHREAD;

import java.lang.foreign.StructLayout;

/**
 * offkern's per-thread extension (runtime-private, x64 only: no Windows structure has this layout):
 * what the runtime keeps for a thread that Windows keeps elsewhere (on the waiter's stack, in the
 * scheduler) and that has no field in the KTHREAD. It follows the thread's ETHREAD in the same
 * Thread object body, at {@link #OFFSET_IN_THREAD} from the ETHREAD (past its last byte, so no
 * KTHREAD or ETHREAD offset is invented); the ETHREAD's address is the thread's {@code PKTHREAD}.
 * <pre>
 *  0x00  ULONG64      ThreadId      the thread's id in the kernel core (1, 2, ...; not Cid.UniqueThread)
 *  0x08  ULONG        Processor     the logical processor it runs on
 *  0x0C  (reserved)
 *  0x10  union        WakeBlock     the one executive wait the thread may be in at a time:
 *          EX_RUNDOWN_WAIT_BLOCK RundownWaitBlock   { Count; WakeEvent }: a run-down's waiter
 *          struct RunOnceWaitBlock                  { Next; WakeEvent }: a run-once waiter node
 *  0x40  end; 16-byte aligned, so the low bits of WakeBlock's address are free for the state bits
 *        of the words that point at it (EX_RUNDOWN_ACTIVE, RTL_RUN_ONCE's State)
 * </pre>
 * Both WakeBlock views start with one pointer-sized word and have the KEVENT at the same offset: the
 * thread sleeps on {@code WakeEvent} through the dispatcher like any other wait.
 */
public final class OFFKERN_THREAD_BLOCK {
    /** The block's layout (x64). */
    public static final StructSpec X64 = build();
    public static final StructLayout LAYOUT = X64.layout();

    /** Offset of this block from the start of the thread's ETHREAD: the ETHREAD's size rounded up to 16. */
    public static final long OFFSET_IN_THREAD = (ETHREAD.X64.size() + 15) & ~15L;
    /** Bytes of a Thread object's body: the ETHREAD, then this block. */
    public static final long THREAD_OBJECT_BODY_SIZE = OFFSET_IN_THREAD + LAYOUT.byteSize();

    /** ULONG64: the thread's id in its kernel core. */
    public static final long THREAD_ID_OFFSET = X64.offset("ThreadId");
    /** ULONG: the thread's processor number. */
    public static final long PROCESSOR_OFFSET = X64.offset("Processor");
    /** union: the run-down / run-once wait block (16-byte aligned). */
    public static final long WAKE_BLOCK_OFFSET = X64.offset("WakeBlock");
    /** Bytes of WakeBlock (both views). */
    public static final long WAKE_BLOCK_SIZE = X64.field("WakeBlock").size();
    /** EX_RUNDOWN_WAIT_BLOCK: the run-down view of WakeBlock. */
    public static final long RUNDOWN_WAIT_BLOCK_OFFSET = X64.offset("WakeBlock.RundownWaitBlock");
    /** PVOID: the run-once view's link to the next waiter's node (0 = last). */
    public static final long RUN_ONCE_NEXT_OFFSET = X64.offset("WakeBlock.RunOnceWaitBlock.Next");
    /** KEVENT: the SynchronizationEvent the thread sleeps on in either view. */
    public static final long WAKE_EVENT_OFFSET = X64.offset("WakeBlock.RunOnceWaitBlock.WakeEvent");

    private OFFKERN_THREAD_BLOCK() {
    }

    private static StructSpec build() {
        Abi abi = Abi.X64;
        return CStruct.opaque("OFFKERN_THREAD_BLOCK", abi)
                .field("ThreadId", CType.ULONG64)
                .field("Processor", CType.ULONG)
                .alignNext(16)
                .union("WakeBlock", u -> u
                        .field("RundownWaitBlock", EX_RUNDOWN_WAIT_BLOCK.of(abi))
                        .struct("RunOnceWaitBlock", s -> s
                                .field("Next", CType.PVOID)
                                .field("WakeEvent", KEVENT.of(abi))))
                .alignAs(16)
                .build();
    }
}
