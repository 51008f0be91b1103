package dev.offkern.layout.ps;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ke.DISPATCHER_HEADER;
import dev.offkern.layout.ke.KAPC_STATE;
import dev.offkern.layout.ke.KWAIT_BLOCK;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * The executive thread object (opaque): offkern's layout with Windows 10 22H2's size (0x898 on
 * x64, 0x4e0 on x86) and every modelled field at the offset Microsoft's symbols give for that
 * build. Bytes offkern does not model are reserved padding and stay zero.
 *
 * <pre>{@code
 * typedef struct _ETHREAD {                          // x64     x86
 *   KTHREAD             Tcb;                         // 0x000   0x000  (0x430 / 0x280 bytes)
 *     DISPATCHER_HEADER Tcb.Header;                  // 0x000   0x000
 *     KAPC_STATE        Tcb.ApcState;                // 0x098   0x070  ApcState.Process: the current (attached) process
 *     UCHAR             Tcb.State;                   // 0x184   0x090  (x64: inside WaitBlock[1].SpareLong)
 *     KIRQL             Tcb.WaitIrql;                // 0x186   0x092
 *     KPROCESSOR_MODE   Tcb.WaitMode;                // 0x187   0x093
 *     LONG_PTR          Tcb.WaitStatus;              // 0x0c8   0x094  how the thread's last wait ended
 *     PKWAIT_BLOCK      Tcb.WaitBlockList;           // 0x0d0   0x098  the blocks of the current wait
 *     KWAIT_BLOCK       Tcb.WaitBlock[4];            // 0x140   0x0e0  the built-in wait blocks (3 objects + the timer's)
 *     SHORT             Tcb.KernelApcDisable;        // 0x1e4   0x13c  (x64: WaitBlock[3].SpareLong; x86: WaitBlock[3].SparePtr)
 *     SHORT             Tcb.SpecialApcDisable;       // 0x1e6   0x13e
 *     ULONG             Tcb.NextProcessor;           // 0x218   0x148
 *     PKPROCESS         Tcb.Process;                 // 0x220   0x150  the owning process
 *     UCHAR             Tcb.ApcStateIndex;           // 0x24a   0x16a  0 OriginalApcEnvironment, 1 AttachedApcEnvironment
 *     KAPC_STATE        Tcb.SavedApcState;           // 0x258   0x174  the state saved by the first attach
 *   LARGE_INTEGER       CreateTime;                  // 0x430   0x280
 *   PVOID               StartAddress;                // 0x450   0x298
 *   CLIENT_ID           Cid;                         // 0x478   0x2ac
 *   PS_CLIENT_SECURITY_CONTEXT ClientSecurity;       // 0x4a8   0x2c8  (impersonation token | level | EffectiveOnly)
 *   PVOID               Win32StartAddress;           // 0x4d0   0x2dc
 *   LIST_ENTRY          ThreadListEntry;             // 0x4e8   0x2e4
 *   EX_RUNDOWN_REF      RundownProtect;              // 0x4f8   0x2ec
 * } ETHREAD;                                         // 0x898   0x4e0, 8-aligned
 * }</pre>
 *
 * <p>{@code Tcb} is the kernel part ({@code KTHREAD}); its {@code DISPATCHER_HEADER} makes a thread
 * a dispatcher object (signalled when it terminates), and its APC-environment fields record process
 * attachment (KeStackAttachProcess) as Windows keeps them. The wait and lock fields (WaitStatus,
 * WaitBlockList, WaitBlock[], State, WaitIrql, WaitMode, KernelApcDisable, SpecialApcDisable,
 * NextProcessor) are at Windows 10 22H2's offsets for both ABIs: as on Windows, the x64 build keeps
 * State, WaitIrql, WaitMode and the APC-disable counts in the {@code SpareLong} of the built-in wait
 * blocks 1 and 3, and the x86 build keeps the APC-disable counts in wait block 3's {@code SparePtr};
 * a wait never writes either spare. Sources: Geoff Chappell's KTHREAD (6.2 and higher) tables from
 * Microsoft's symbols, and the 19041-line x64/x86 kernel symbol dumps (ntdiff); see
 * docs/layout-sources.md. Windows 11 moved
 * every field after {@code Tcb} by 0x50 (KTHREAD grew to 0x480). The {@code *_OFFSET} constants
 * are the x64 offsets; use {@link #of(Abi)} for x86.
 */
public final class ETHREAD {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** KTHREAD (0x430 bytes): the kernel thread; its dispatcher header is at 0. */
    public static final long TCB_OFFSET = X64.offset("Tcb");
    /** DISPATCHER_HEADER: Type = ThreadObject (6); signalled when the thread has terminated. */
    public static final long TCB_HEADER_OFFSET = X64.offset("Tcb.Header");
    /** KAPC_STATE: the thread's current APC environment; its {@code Process} is the process the thread runs in (attached or its own). */
    public static final long TCB_APC_STATE_OFFSET = X64.offset("Tcb.ApcState");
    /** PKPROCESS: the process the thread belongs to. */
    public static final long TCB_PROCESS_OFFSET = X64.offset("Tcb.Process");
    /** UCHAR: 0 (OriginalApcEnvironment) or 1 (AttachedApcEnvironment: the thread is attached to another process). */
    public static final long TCB_APC_STATE_INDEX_OFFSET = X64.offset("Tcb.ApcStateIndex");
    /** KAPC_STATE: the owning process's APC environment, saved while the thread is attached. */
    public static final long TCB_SAVED_APC_STATE_OFFSET = X64.offset("Tcb.SavedApcState");
    /** LONGLONG (x64 only): the status the thread's last wait ended with (offkern: -1 while a wait is pending). */
    public static final long TCB_WAIT_STATUS_OFFSET = X64.offset("Tcb.WaitStatus");
    /** PKWAIT_BLOCK (x64 only): the first wait block of the thread's current wait (its own or the caller's array). */
    public static final long TCB_WAIT_BLOCK_LIST_OFFSET = X64.offset("Tcb.WaitBlockList");
    /** KWAIT_BLOCK[4] (x64 only): the built-in wait blocks (THREAD_WAIT_OBJECTS and the timer's). */
    public static final long TCB_WAIT_BLOCK_OFFSET = X64.offset("Tcb.WaitBlock");
    /** Bytes of {@code Tcb.WaitBlock}. */
    public static final long TCB_WAIT_BLOCK_SIZE = X64.field("Tcb.WaitBlock").size();
    /** UCHAR (x64 only): KTHREAD_STATE ({@link #Running}, {@link #Waiting}, {@link #Terminated}, ...). */
    public static final long TCB_STATE_OFFSET = X64.offset("Tcb.State");
    /** KIRQL (x64 only): the IRQL the current wait was entered at. */
    public static final long TCB_WAIT_IRQL_OFFSET = X64.offset("Tcb.WaitIrql");
    /** KPROCESSOR_MODE (x64 only): the WaitMode of the current wait. */
    public static final long TCB_WAIT_MODE_OFFSET = X64.offset("Tcb.WaitMode");
    /** SHORT (x64 only): KernelApcDisable, negative inside critical regions. */
    public static final long TCB_KERNEL_APC_DISABLE_OFFSET = X64.offset("Tcb.KernelApcDisable");
    /** SHORT (x64 only): SpecialApcDisable, negative inside guarded regions. */
    public static final long TCB_SPECIAL_APC_DISABLE_OFFSET = X64.offset("Tcb.SpecialApcDisable");
    /** ULONG (x64 only): CombinedApcDisable, both counts as one word (SpecialApcDisable in the high half). */
    public static final long TCB_COMBINED_APC_DISABLE_OFFSET = X64.offset("Tcb.CombinedApcDisable");
    /** ULONG (x64 only): the processor the thread runs on. */
    public static final long TCB_NEXT_PROCESSOR_OFFSET = X64.offset("Tcb.NextProcessor");

    /** KTHREAD_STATE Initialized. */
    public static final int Initialized = 0;
    /** KTHREAD_STATE Running. */
    public static final int Running = 2;
    /** KTHREAD_STATE Terminated. */
    public static final int Terminated = 4;
    /** KTHREAD_STATE Waiting. */
    public static final int Waiting = 5;

    /** LARGE_INTEGER, 100 ns since 1601: KeQuerySystemTime at creation. */
    public static final long CREATE_TIME_OFFSET = X64.offset("CreateTime");
    /** PVOID: the routine the thread started in (PsCreateSystemThread's StartRoutine). */
    public static final long START_ADDRESS_OFFSET = X64.offset("StartAddress");
    /** CLIENT_ID: {UniqueProcess, UniqueThread}, the owning process id and this thread's id. */
    public static final long CID_OFFSET = X64.offset("Cid");
    /** HANDLE: the thread id ({@code Cid.UniqueThread}). */
    public static final long CID_UNIQUE_THREAD_OFFSET = CID_OFFSET + OpaqueParts.clientId(Abi.X64).offset("UniqueThread");
    /**
     * PS_CLIENT_SECURITY_CONTEXT (ULONG_PTR): the impersonation token with its level in bits 0-1
     * and EffectiveOnly in bit 2; 0 when the thread is not impersonating.
     * <pre>
     *  63                                         3   2   1   0
     * +---------------------------------------------+---+-------+
     * |          PACCESS_TOKEN (8-aligned)          | E | level |
     * +---------------------------------------------+---+-------+
     * </pre>
     */
    public static final long CLIENT_SECURITY_OFFSET = X64.offset("ClientSecurity");
    /** PS_CLIENT_SECURITY_CONTEXT: mask of ImpersonationLevel (bits 0-1). */
    public static final long CLIENT_SECURITY_LEVEL_MASK = 0x3;
    /** PS_CLIENT_SECURITY_CONTEXT: EffectiveOnly (bit 2). */
    public static final long CLIENT_SECURITY_EFFECTIVE_ONLY = 0x4;
    /** PVOID: the Win32 start address (for system threads the start routine too). */
    public static final long WIN32_START_ADDRESS_OFFSET = X64.offset("Win32StartAddress");
    /** LIST_ENTRY: link in the owning process's EPROCESS.ThreadListHead. */
    public static final long THREAD_LIST_ENTRY_OFFSET = X64.offset("ThreadListEntry");
    /** EX_RUNDOWN_REF: run-down protection taken while the thread is used across calls. */
    public static final long RUNDOWN_PROTECT_OFFSET = X64.offset("RundownProtect");

    private ETHREAD() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        boolean x64 = abi == Abi.X64;
        return CStruct.opaque("ETHREAD", abi)
                .struct("Tcb", tcb -> {
                    tcb.field("Header", DISPATCHER_HEADER.of(abi))
                        .at(x64 ? 0x98 : 0x70).field("ApcState", KAPC_STATE.of(abi));
                    // Windows 10 22H2 (19045; the 19041 kernel line): the wait and lock fields, x64 and x86.
                    // On x64, State..WaitMode and the APC-disable counts live in the SpareLong of the built-in
                    // wait blocks 1 and 3; on x86, State..WaitStatus precede WaitBlockList and the APC-disable
                    // counts live in the SparePtr of wait block 3.
                    if (x64) {
                        tcb.at(0xc8).field("WaitStatus", CType.LONG_PTR)
                                .field("WaitBlockList", CType.pointer("PKWAIT_BLOCK"))
                                .at(0x140).union(null, u -> u
                                        .array("WaitBlock", KWAIT_BLOCK.of(abi), KWAIT_BLOCK.THREAD_WAIT_OBJECTS + 1)
                                        .struct(null, s -> s.at(0x44).field("State", CType.UCHAR).field("Spare13", CType.CHAR)
                                                .field("WaitIrql", CType.KIRQL).field("WaitMode", CType.KPROCESSOR_MODE))
                                        .struct(null, s -> s.at(0xa4).union(null, v -> v
                                                .struct(null, w -> w.field("KernelApcDisable", CType.SHORT)
                                                        .field("SpecialApcDisable", CType.SHORT))
                                                .field("CombinedApcDisable", CType.ULONG))))
                                .at(0x218).field("NextProcessor", CType.ULONG);
                    } else {
                        tcb.at(0x90).field("State", CType.UCHAR).field("Spare12", CType.CHAR)
                                .field("WaitIrql", CType.KIRQL).field("WaitMode", CType.KPROCESSOR_MODE)
                                .field("WaitStatus", CType.LONG_PTR)
                                .field("WaitBlockList", CType.pointer("PKWAIT_BLOCK"))
                                .at(0xe0).union(null, u -> u
                                        .array("WaitBlock", KWAIT_BLOCK.of(abi), KWAIT_BLOCK.THREAD_WAIT_OBJECTS + 1)
                                        .struct(null, s -> s.at(0x5c).union(null, v -> v
                                                .struct(null, w -> w.field("KernelApcDisable", CType.SHORT)
                                                        .field("SpecialApcDisable", CType.SHORT))
                                                .field("CombinedApcDisable", CType.ULONG))))
                                .at(0x148).field("NextProcessor", CType.ULONG);
                    }
                    tcb.at(x64 ? 0x220 : 0x150).field("Process", CType.pointer("PKPROCESS"))
                        .at(x64 ? 0x24a : 0x16a).field("ApcStateIndex", CType.UCHAR)
                        .at(x64 ? 0x258 : 0x174).field("SavedApcState", KAPC_STATE.of(abi))
                        .alignAs(8)
                        .sizeTo(x64 ? 0x430 : 0x280);
                })
                .at(x64 ? 0x430 : 0x280).field("CreateTime", LARGE_INTEGER.of(abi))
                .at(x64 ? 0x450 : 0x298).field("StartAddress", CType.PVOID)
                .at(x64 ? 0x478 : 0x2ac).field("Cid", OpaqueParts.clientId(abi))
                .at(x64 ? 0x4a8 : 0x2c8).field("ClientSecurity", CType.ULONG_PTR)
                .at(x64 ? 0x4d0 : 0x2dc).field("Win32StartAddress", CType.PVOID)
                .at(x64 ? 0x4e8 : 0x2e4).field("ThreadListEntry", LIST_ENTRY.of(abi))
                .at(x64 ? 0x4f8 : 0x2ec).field("RundownProtect", EX_RUNDOWN_REF.of(abi))
                .alignAs(8)
                .sizeTo(x64 ? 0x898 : 0x4e0)
                .build();
    }
}
