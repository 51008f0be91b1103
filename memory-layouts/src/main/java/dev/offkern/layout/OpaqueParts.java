package dev.offkern.layout;

/**
 * The small kernel-private structures the opaque objects embed and that have no class of their
 * own: {@code CLIENT_ID} (declared by ntddk.h but outside offkern's public set), and
 * {@code EX_PUSH_LOCK} and {@code EX_FAST_REF} (Microsoft's symbols only). None of them is
 * registered in {@link Structures}; every other embedded structure is its public class
 * ({@link dev.offkern.layout.ke.KDPC}, {@link dev.offkern.layout.ex.WORK_QUEUE_ITEM},
 * {@link dev.offkern.layout.rtl.GUID}, ...).
 */
public final class OpaqueParts {

    private OpaqueParts() {
    }

    /** {@code CLIENT_ID { HANDLE UniqueProcess; HANDLE UniqueThread; }}: 0x10 / 8 bytes. */
    public static StructSpec clientId(Abi abi) {
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
    public static StructSpec exPushLock(Abi abi) {
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
    public static StructSpec exFastRef(Abi abi) {
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
