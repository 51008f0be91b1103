package dev.offkern.layout;

/**
 * The small structures the opaque objects embed, laid out here so that the opaque layouts can be
 * built without depending on the order in which the public structure classes appear. Each
 * method returns the same layout the Windows headers (or, for the kernel-private
 * {@code EX_PUSH_LOCK} and {@code EX_FAST_REF}, Microsoft's symbols) give; none of them is
 * registered in {@link Structures} from here.
 *
 * <p>Package-private on purpose: where a public class exists ({@link LIST_ENTRY},
 * {@link KTIMER}, {@link DISPATCHER_HEADER}) the opaque classes use it directly.
 */
final class OpaqueParts {

    private OpaqueParts() {
    }

    /** {@code SINGLE_LIST_ENTRY { struct _SINGLE_LIST_ENTRY *Next; }}: 8 / 4 bytes. */
    static StructSpec singleListEntry(Abi abi) {
        return CStruct.struct("SINGLE_LIST_ENTRY", abi)
                .field("Next", CType.pointer("PSINGLE_LIST_ENTRY"))
                .build();
    }

    /**
     * {@code KDPC} as Windows 8.1 and later lay it out: 0x40 / 0x20 bytes.
     * <pre>{@code
     * typedef struct _KDPC {
     *   union { ULONG TargetInfoAsUlong; struct { UCHAR Type; UCHAR Importance; volatile USHORT Number; }; };
     *   SINGLE_LIST_ENTRY DpcListEntry;
     *   KAFFINITY ProcessorHistory;
     *   PKDEFERRED_ROUTINE DeferredRoutine;
     *   PVOID DeferredContext;
     *   PVOID SystemArgument1;
     *   PVOID SystemArgument2;
     *   __volatile PVOID DpcData;
     * } KDPC;
     * }</pre>
     */
    static StructSpec kdpc(Abi abi) {
        return CStruct.struct("KDPC", abi)
                .union(null, u -> u.field("TargetInfoAsUlong", CType.ULONG)
                        .struct(null, s -> s.field("Type", CType.UCHAR).field("Importance", CType.UCHAR)
                                .field("Number", CType.USHORT)))
                .field("DpcListEntry", singleListEntry(abi))
                .field("ProcessorHistory", new CType("KAFFINITY", 8, 4))
                .field("DeferredRoutine", CType.pointer("PKDEFERRED_ROUTINE"))
                .field("DeferredContext", CType.PVOID)
                .field("SystemArgument1", CType.PVOID)
                .field("SystemArgument2", CType.PVOID)
                .field("DpcData", CType.PVOID)
                .build();
    }

    /** {@code WORK_QUEUE_ITEM { LIST_ENTRY List; PWORKER_THREAD_ROUTINE WorkerRoutine; volatile PVOID Parameter; }}. */
    static StructSpec workQueueItem(Abi abi) {
        return CStruct.struct("WORK_QUEUE_ITEM", abi)
                .field("List", LIST_ENTRY.of(abi))
                .field("WorkerRoutine", CType.pointer("PWORKER_THREAD_ROUTINE"))
                .field("Parameter", CType.PVOID)
                .build();
    }

    /** {@code GUID { ULONG Data1; USHORT Data2; USHORT Data3; UCHAR Data4[8]; }}: 16 bytes, 4-aligned. */
    static StructSpec guid(Abi abi) {
        return CStruct.struct("GUID", abi)
                .field("Data1", CType.ULONG)
                .field("Data2", CType.USHORT)
                .field("Data3", CType.USHORT)
                .array("Data4", CType.UCHAR, 8)
                .build();
    }

    /** {@code UNICODE_STRING { USHORT Length; USHORT MaximumLength; PWCH Buffer; }}: 0x10 / 8 bytes. */
    static StructSpec unicodeString(Abi abi) {
        return CStruct.struct("UNICODE_STRING", abi)
                .field("Length", CType.USHORT)
                .field("MaximumLength", CType.USHORT)
                .field("Buffer", CType.pointer("PWCH"))
                .build();
    }

    /** {@code GENERIC_MAPPING { ACCESS_MASK GenericRead, GenericWrite, GenericExecute, GenericAll; }}. */
    static StructSpec genericMapping(Abi abi) {
        return CStruct.struct("GENERIC_MAPPING", abi)
                .field("GenericRead", CType.ACCESS_MASK)
                .field("GenericWrite", CType.ACCESS_MASK)
                .field("GenericExecute", CType.ACCESS_MASK)
                .field("GenericAll", CType.ACCESS_MASK)
                .build();
    }

    /** {@code EX_RUNDOWN_REF { union { ULONG_PTR Count; PVOID Ptr; }; }}: 8 / 4 bytes. */
    static StructSpec exRundownRef(Abi abi) {
        return CStruct.struct("EX_RUNDOWN_REF", abi)
                .union(null, u -> u.field("Count", CType.ULONG_PTR).field("Ptr", CType.PVOID))
                .build();
    }

    /** {@code CLIENT_ID { HANDLE UniqueProcess; HANDLE UniqueThread; }}: 0x10 / 8 bytes. */
    static StructSpec clientId(Abi abi) {
        return CStruct.struct("CLIENT_ID", abi)
                .field("UniqueProcess", CType.HANDLE)
                .field("UniqueThread", CType.HANDLE)
                .build();
    }

    /**
     * The kernel's push lock (Microsoft's symbols): one pointer-sized word.
     * <pre>
     *  63 (31 on x86)                 4   3   2   1   0
     * +--------------------------------+---+---+---+---+
     * |            Shared              | M | K | W | L |   L Locked, W Waiting, K Waking, M MultipleShared
     * +--------------------------------+---+---+---+---+
     * </pre>
     */
    static StructSpec exPushLock(Abi abi) {
        CType unit = abi == Abi.X64 ? CType.ULONGLONG : CType.ULONG;
        int shared = abi == Abi.X64 ? 60 : 28;
        return CStruct.struct("EX_PUSH_LOCK", abi)
                .union(null, u -> u
                        .struct(null, s -> s.bits(unit, "Locked", 1, "Waiting", 1, "Waking", 1,
                                "MultipleShared", 1, "Shared", shared))
                        .field("Value", CType.ULONG_PTR)
                        .field("Ptr", CType.PVOID))
                .build();
    }

    /**
     * A fast reference (Microsoft's symbols): an object pointer whose low bits (4 on x64, 3 on x86,
     * free because objects are 16/8-aligned) count cached references.
     */
    static StructSpec exFastRef(Abi abi) {
        CType unit = abi == Abi.X64 ? CType.ULONGLONG : CType.ULONG;
        int refCnt = abi == Abi.X64 ? 4 : 3;
        return CStruct.struct("EX_FAST_REF", abi)
                .union(null, u -> u
                        .field("Object", CType.PVOID)
                        .bits(unit, "RefCnt", refCnt)
                        .field("Value", CType.ULONG_PTR))
                .build();
    }
}
