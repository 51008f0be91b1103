package dev.offkern.layout.ke;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * One thread's wait on one dispatcher object: linked into the object's
 * {@code DISPATCHER_HEADER.WaitListHead} while the wait is pending. A thread has
 * {@code THREAD_WAIT_OBJECTS} (3) of them built in (plus one for its timer); a wait on more objects
 * passes its own array. The Windows 8+ declaration of the WDK (Windows 10 22H2's symbols agree):
 * <pre>{@code
 * typedef struct _KWAIT_BLOCK {
 *   LIST_ENTRY WaitListEntry;
 *   UCHAR WaitType;                      // WaitAll 0, WaitAny 1
 *   volatile UCHAR BlockState;           // KWAIT_BLOCK_STATE
 *   USHORT WaitKey;                      // index in the wait: STATUS_WAIT_0 + WaitKey
 * #ifdef _WIN64
 *   LONG SpareLong;
 * #endif
 *   union {
 *     struct _KTHREAD *Thread;
 *     struct _KQUEUE *NotificationQueue;
 *   };
 *   PVOID Object;
 *   PVOID SparePtr;
 * } KWAIT_BLOCK, *PKWAIT_BLOCK;          // x64: 0x30 bytes, x86: 0x18
 * }</pre>
 * mingw-w64 declares Windows 7's order (Thread, Object, NextWaitBlock, WaitKey, WaitType,
 * BlockState): the oracle records the difference.
 */
public final class KWAIT_BLOCK {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** {@code THREAD_WAIT_OBJECTS}: waits the thread's built-in wait blocks can hold. */
    public static final int THREAD_WAIT_OBJECTS = 3;
    /** {@code MAXIMUM_WAIT_OBJECTS}: objects one KeWaitForMultipleObjects may name. */
    public static final int MAXIMUM_WAIT_OBJECTS = 64;
    /** KWAIT_BLOCK_STATE {@code WaitBlockActive} (Windows 10): linked into the object's wait list. */
    public static final byte WaitBlockActive = 4;
    /** KWAIT_BLOCK_STATE {@code WaitBlockInactive} (Windows 10): not linked. */
    public static final byte WaitBlockInactive = 5;

    /** LIST_ENTRY: the links in the object's WaitListHead. */
    public static final long WAIT_LIST_ENTRY_OFFSET = X64.offset("WaitListEntry");
    /** UCHAR: WAIT_TYPE (WaitAll 0, WaitAny 1). */
    public static final long WAIT_TYPE_OFFSET = X64.offset("WaitType");
    /** UCHAR: KWAIT_BLOCK_STATE (WaitBlockActive while linked). */
    public static final long BLOCK_STATE_OFFSET = X64.offset("BlockState");
    /** USHORT: the block's index in its wait (the WaitAny status is STATUS_WAIT_0 + WaitKey). */
    public static final long WAIT_KEY_OFFSET = X64.offset("WaitKey");
    /** PKTHREAD: the waiting thread. */
    public static final long THREAD_OFFSET = X64.offset("Thread");
    /** PVOID: the dispatcher object waited on. */
    public static final long OBJECT_OFFSET = X64.offset("Object");

    /** VarHandle of WaitType (byte), coordinates (MemorySegment, long base offset of the block). */
    public static final VarHandle WAIT_TYPE = LAYOUT.varHandle(groupElement("WaitType"));
    /** VarHandle of BlockState (byte). */
    public static final VarHandle BLOCK_STATE = LAYOUT.varHandle(groupElement("BlockState"));
    /** VarHandle of WaitKey (short). */
    public static final VarHandle WAIT_KEY = LAYOUT.varHandle(groupElement("WaitKey"));
    /** VarHandle of Object (long: the address). */
    public static final VarHandle OBJECT = LAYOUT.varHandle(groupElement("Object"));

    private KWAIT_BLOCK() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        CStruct.Builder b = CStruct.struct("KWAIT_BLOCK", abi)
                .field("WaitListEntry", LIST_ENTRY.of(abi))
                .field("WaitType", CType.UCHAR)
                .field("BlockState", CType.UCHAR)
                .field("WaitKey", CType.USHORT);
        if (abi == Abi.X64) {
            b.field("SpareLong", CType.LONG);
        }
        return b.union(null, u -> u.field("Thread", CType.pointer("PKTHREAD"))
                        .field("NotificationQueue", CType.pointer("PKQUEUE")))
                .field("Object", CType.PVOID)
                .field("SparePtr", CType.PVOID)
                .build();
    }
}
