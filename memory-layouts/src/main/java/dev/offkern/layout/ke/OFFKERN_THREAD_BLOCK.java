package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;

import java.lang.foreign.StructLayout;

/**
 * offkern's per-thread block (runtime-private, x64 only: no Windows structure has this layout): the
 * off-heap memory whose address is a calling thread's {@code PKTHREAD} value, holding what other
 * threads must reach through a structure while the thread waits. Kept in slabs registered in the
 * kernel's address space, so the pointers stored in structures resolve like any kernel memory.
 * <pre>
 *  0x00  ULONG64      ThreadId      the thread's id in its kernel (1, 2, ...)
 *  0x08  ULONG        Processor     the logical processor it runs on
 *  0x0C  (reserved)
 *  0x10  union        WakeBlock     the one executive wait the thread may be in at a time:
 *          EX_RUNDOWN_WAIT_BLOCK RundownWaitBlock   { Count; WakeEvent }: a run-down's waiter
 *          struct RunOnceWaitBlock                  { Next; WakeEvent }: a run-once waiter node
 *  0x30  (reserved)
 *  0x40  KWAIT_BLOCK  WaitBlock[4]  the built-in wait blocks (THREAD_WAIT_OBJECTS + the timer's),
 *                                   as KTHREAD.WaitBlock
 *  0x100 end; 64-byte aligned, so the low bits of WakeBlock's address are free for the state bits
 *        of the words that point at it (EX_RUNDOWN_ACTIVE, RTL_RUN_ONCE's State)
 * </pre>
 * Both WakeBlock views start with one pointer-sized word and have the KEVENT at the same offset: the
 * thread sleeps on {@code WakeEvent} through the dispatcher like any other wait.
 */
public final class OFFKERN_THREAD_BLOCK {
    /** The block's layout (x64). */
    public static final StructSpec X64 = build();
    public static final StructLayout LAYOUT = X64.layout();

    /** Built-in KWAIT_BLOCKs: THREAD_WAIT_OBJECTS (3) + one for the timer, as KTHREAD.WaitBlock. */
    public static final int WAIT_BLOCK_COUNT = KWAIT_BLOCK.THREAD_WAIT_OBJECTS + 1;

    /** ULONG64: the thread's id in its kernel. */
    public static final long THREAD_ID_OFFSET = X64.offset("ThreadId");
    /** ULONG: the thread's processor number. */
    public static final long PROCESSOR_OFFSET = X64.offset("Processor");
    /** union: the run-down / run-once wait block (16-byte aligned inside a 64-byte aligned block). */
    public static final long WAKE_BLOCK_OFFSET = X64.offset("WakeBlock");
    /** Bytes of WakeBlock (both views). */
    public static final long WAKE_BLOCK_SIZE = X64.field("WakeBlock").size();
    /** EX_RUNDOWN_WAIT_BLOCK: the run-down view of WakeBlock. */
    public static final long RUNDOWN_WAIT_BLOCK_OFFSET = X64.offset("WakeBlock.RundownWaitBlock");
    /** PVOID: the run-once view's link to the next waiter's node (0 = last). */
    public static final long RUN_ONCE_NEXT_OFFSET = X64.offset("WakeBlock.RunOnceWaitBlock.Next");
    /** KEVENT: the SynchronizationEvent the thread sleeps on in either view. */
    public static final long WAKE_EVENT_OFFSET = X64.offset("WakeBlock.RunOnceWaitBlock.WakeEvent");
    /** KWAIT_BLOCK[4]: the built-in wait blocks. */
    public static final long WAIT_BLOCK_OFFSET = X64.offset("WaitBlock");
    /** Bytes of the built-in wait-block array. */
    public static final long WAIT_BLOCK_SIZE = X64.field("WaitBlock").size();

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
                .at(0x40)
                .array("WaitBlock", KWAIT_BLOCK.of(abi), WAIT_BLOCK_COUNT)
                .alignAs(64)
                .build();
    }
}
