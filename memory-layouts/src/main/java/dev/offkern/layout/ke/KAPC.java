package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * An asynchronous procedure call object (embedded in IRP.Tail). Windows 10 2004+'s symbols have
 * these names and offsets, and overlay the three routine pointers with {@code PVOID Reserved[3]}
 * (mingw-w64 does not declare that overlay).
 * <pre>{@code
 * typedef struct _KAPC {
 *   UCHAR Type;
 *   UCHAR SpareByte0;
 *   UCHAR Size;
 *   UCHAR SpareByte1;
 *   ULONG SpareLong0;
 *   struct _KTHREAD *Thread;
 *   LIST_ENTRY ApcListEntry;
 *   union {
 *     struct {
 *       PKKERNEL_ROUTINE KernelRoutine;
 *       PKRUNDOWN_ROUTINE RundownRoutine;
 *       PKNORMAL_ROUTINE NormalRoutine;
 *     };
 *     PVOID Reserved[3];
 *   };
 *   PVOID NormalContext;
 *   PVOID SystemArgument1;
 *   PVOID SystemArgument2;
 *   CCHAR ApcStateIndex;
 *   KPROCESSOR_MODE ApcMode;
 *   BOOLEAN Inserted;
 * } KAPC, *PKAPC, *PRKAPC;
 * }</pre>
 */
public final class KAPC {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** UCHAR: ApcObject (0x12). */
    public static final long TYPE_OFFSET = X64.offset("Type");
    /** UCHAR, bytes: sizeof(KAPC). */
    public static final long SIZE_OFFSET = X64.offset("Size");
    /** PKTHREAD: the target thread. */
    public static final long THREAD_OFFSET = X64.offset("Thread");
    /** LIST_ENTRY: link in the thread's APC queue. */
    public static final long APC_LIST_ENTRY_OFFSET = X64.offset("ApcListEntry");
    /** PKKERNEL_ROUTINE: runs at APC_LEVEL. */
    public static final long KERNEL_ROUTINE_OFFSET = X64.offset("KernelRoutine");
    /** PKRUNDOWN_ROUTINE: runs if the thread exits first. */
    public static final long RUNDOWN_ROUTINE_OFFSET = X64.offset("RundownRoutine");
    /** PKNORMAL_ROUTINE: runs at PASSIVE_LEVEL, or NULL. */
    public static final long NORMAL_ROUTINE_OFFSET = X64.offset("NormalRoutine");
    /** PVOID: NormalRoutine's context. */
    public static final long NORMAL_CONTEXT_OFFSET = X64.offset("NormalContext");
    /** PVOID: first argument given when queued. */
    public static final long SYSTEM_ARGUMENT1_OFFSET = X64.offset("SystemArgument1");
    /** PVOID: second argument given when queued. */
    public static final long SYSTEM_ARGUMENT2_OFFSET = X64.offset("SystemArgument2");
    /** CCHAR: KAPC_ENVIRONMENT. */
    public static final long APC_STATE_INDEX_OFFSET = X64.offset("ApcStateIndex");
    /** KPROCESSOR_MODE: KernelMode or UserMode. */
    public static final long APC_MODE_OFFSET = X64.offset("ApcMode");
    /** BOOLEAN: whether the APC is queued. */
    public static final long INSERTED_OFFSET = X64.offset("Inserted");

    private KAPC() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KAPC", abi)
                .field("Type", CType.UCHAR)
                .field("SpareByte0", CType.UCHAR)
                .field("Size", CType.UCHAR)
                .field("SpareByte1", CType.UCHAR)
                .field("SpareLong0", CType.ULONG)
                .field("Thread", CType.pointer("PKTHREAD"))
                .field("ApcListEntry", LIST_ENTRY.of(abi))
                .union(null, u -> u
                        .struct(null, r -> r.field("KernelRoutine", CType.pointer("PKKERNEL_ROUTINE"))
                                .field("RundownRoutine", CType.pointer("PKRUNDOWN_ROUTINE"))
                                .field("NormalRoutine", CType.pointer("PKNORMAL_ROUTINE")))
                        .array("Reserved", CType.PVOID, 3))
                .field("NormalContext", CType.PVOID)
                .field("SystemArgument1", CType.PVOID)
                .field("SystemArgument2", CType.PVOID)
                .field("ApcStateIndex", CType.CCHAR)
                .field("ApcMode", CType.KPROCESSOR_MODE)
                .field("Inserted", CType.BOOLEAN)
                .build();
    }
}
