package dev.offkern.layout.ke;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A thread's APC state (KTHREAD.ApcState, KTHREAD.SavedApcState), and the buffer a caller of
 * {@code KeStackAttachProcess} passes to receive the state it must hand back to
 * {@code KeUnstackDetachProcess}. Windows 10 22H2's symbols give these names; mingw-w64 declares the
 * Windows 7 form (whole BOOLEANs KernelApcInProgress and UserApcPending) at the same offsets and size.
 * <pre>{@code
 * typedef struct _KAPC_STATE {                       // x64    x86
 *   LIST_ENTRY ApcListHead[MaximumMode];             // 0x00   0x00  kernel-mode and user-mode APC queues
 *   struct _KPROCESS *Process;                       // 0x20   0x10
 *   union {
 *     UCHAR InProgressFlags;                         // 0x28   0x14
 *     struct {
 *       BOOLEAN KernelApcInProgress : 1;
 *       BOOLEAN SpecialApcInProgress : 1;
 *     };
 *   };
 *   BOOLEAN KernelApcPending;                        // 0x29   0x15
 *   union {
 *     BOOLEAN UserApcPendingAll;                     // 0x2a   0x16
 *     struct {
 *       BOOLEAN SpecialUserApcPending : 1;
 *       BOOLEAN UserApcPending : 1;
 *     };
 *   };
 * } KAPC_STATE, *PKAPC_STATE, *PRKAPC_STATE;         // 0x30   0x18
 * }</pre>
 */
public final class KAPC_STATE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY[2]: the kernel-mode (index 0) and user-mode (index 1) APC queue heads. */
    public static final long APC_LIST_HEAD_OFFSET = X64.offset("ApcListHead");
    /** Bytes of one APC queue head (a LIST_ENTRY). */
    public static final long APC_LIST_HEAD_SIZE = LIST_ENTRY.X64.size();
    /** PKPROCESS: the process whose address space the state belongs to; in a caller's buffer, see KeStackAttachProcess. */
    public static final long PROCESS_OFFSET = X64.offset("Process");
    /** UCHAR: KernelApcInProgress (bit 0), SpecialApcInProgress (bit 1). */
    public static final long IN_PROGRESS_FLAGS_OFFSET = X64.offset("InProgressFlags");
    /** BOOLEAN: a kernel APC is queued and not yet delivered. */
    public static final long KERNEL_APC_PENDING_OFFSET = X64.offset("KernelApcPending");
    /** UCHAR: SpecialUserApcPending (bit 0), UserApcPending (bit 1). */
    public static final long USER_APC_PENDING_ALL_OFFSET = X64.offset("UserApcPendingAll");

    /**
     * The value KeStackAttachProcess stores in {@code Process} of the caller's buffer when the thread
     * already was in the target process (nothing to undo: KeUnstackDetachProcess returns at once).
     */
    public static final long PROCESS_SAME = 1;

    private KAPC_STATE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("KAPC_STATE", abi)
                .array("ApcListHead", LIST_ENTRY.of(abi), 2)
                .field("Process", CType.pointer("PKPROCESS"))
                .union(null, u -> u
                        .field("InProgressFlags", CType.UCHAR)
                        .struct(null, b -> b.bits(CType.BOOLEAN, "KernelApcInProgress", 1, "SpecialApcInProgress", 1)))
                .field("KernelApcPending", CType.BOOLEAN)
                .union(null, u -> u
                        .field("UserApcPendingAll", CType.BOOLEAN)
                        .struct(null, b -> b.bits(CType.BOOLEAN, "SpecialUserApcPending", 1, "UserApcPending", 1)))
                .build();
    }
}
