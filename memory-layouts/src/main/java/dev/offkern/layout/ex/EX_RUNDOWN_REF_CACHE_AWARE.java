package dev.offkern.layout.ex;

import dev.offkern.layout.Abi;
import dev.offkern.layout.CStruct;
import dev.offkern.layout.CType;
import dev.offkern.layout.StructSpec;

import java.lang.foreign.StructLayout;

/**
 * The header of a cache-aware run-down reference: the holder count of one reference spread over
 * {@code Number} per-processor {@code EX_RUNDOWN_REF} stripes, {@code RunRefSize} bytes apart from
 * {@code RunRefs} on. The WDK declares only the pointer type; this is the layout ReactOS and the
 * NDK give.
 * <pre>{@code
 * typedef struct _EX_RUNDOWN_REF_CACHE_AWARE {
 *   PEX_RUNDOWN_REF RunRefs;     // stripe 0
 *   PVOID PoolToFree;            // the pool block to free, NULL when the caller owns the memory
 *   ULONG RunRefSize;            // stride: sizeof(EX_RUNDOWN_REF) on one processor, else the
 *                                //   recommended shared-data alignment
 *   ULONG Number;                // stripes
 * } EX_RUNDOWN_REF_CACHE_AWARE;  // x64: 0x18 bytes, x86: 0x10
 * }</pre>
 */
public final class EX_RUNDOWN_REF_CACHE_AWARE {
    public static final StructSpec X64 = build(Abi.X64);
    public static final StructSpec X86 = build(Abi.X86);
    public static final StructLayout LAYOUT = X64.layout();

    /** PEX_RUNDOWN_REF: address of stripe 0. */
    public static final long RUN_REFS_OFFSET = X64.offset("RunRefs");
    /** PVOID: the allocation to free (ExFreeCacheAwareRundownProtection), NULL for caller memory. */
    public static final long POOL_TO_FREE_OFFSET = X64.offset("PoolToFree");
    /** ULONG: bytes from one stripe to the next. */
    public static final long RUN_REF_SIZE_OFFSET = X64.offset("RunRefSize");
    /** ULONG: number of stripes. */
    public static final long NUMBER_OFFSET = X64.offset("Number");

    private EX_RUNDOWN_REF_CACHE_AWARE() {
    }

    public static StructSpec of(Abi abi) {
        return abi == Abi.X64 ? X64 : X86;
    }

    private static StructSpec build(Abi abi) {
        return CStruct.opaque("EX_RUNDOWN_REF_CACHE_AWARE", abi)
                .field("RunRefs", CType.pointer("PEX_RUNDOWN_REF"))
                .field("PoolToFree", CType.PVOID)
                .field("RunRefSize", CType.ULONG)
                .field("Number", CType.ULONG)
                .build();
    }
}
