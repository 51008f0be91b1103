package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.rtl.LIST_ENTRY;

import java.lang.foreign.StructLayout;

/**
 * A work item queued to a system worker thread by ExQueueWorkItem.
 * <pre>{@code
 * typedef struct _WORK_QUEUE_ITEM {
 *   LIST_ENTRY List;
 *   PWORKER_THREAD_ROUTINE WorkerRoutine;
 *   __volatile PVOID Parameter;
 * } WORK_QUEUE_ITEM, *PWORK_QUEUE_ITEM;
 * }</pre>
 */
public final class WORK_QUEUE_ITEM {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** LIST_ENTRY: link in the work queue (Flink NULL while not queued). */
    public static final long LIST_OFFSET = X64.offset("List");
    /** PWORKER_THREAD_ROUTINE: the routine to call. */
    public static final long WORKER_ROUTINE_OFFSET = X64.offset("WorkerRoutine");
    /** PVOID: its argument. */
    public static final long PARAMETER_OFFSET = X64.offset("Parameter");

    private WORK_QUEUE_ITEM() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.struct("WORK_QUEUE_ITEM", abi)
                .field("List", LIST_ENTRY.of(abi))
                .field("WorkerRoutine", CType.pointer("PWORKER_THREAD_ROUTINE"))
                .field("Parameter", CType.PVOID)
                .build();
    }
}
