package dev.offkern.runtime.ex;

import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.mm.Region;
import dev.offkern.nt.PoolType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The routines a lookaside list uses when its Allocate/Free arguments are NULL: Windows stores
 * {@code ExAllocatePoolWithTag} and {@code ExFreePool}; offkern stores one pair of upcall stubs per
 * kernel whose Java dispatch allocates from and frees to the kernel's pool of the list's type, with
 * the list's tag (so per-tag pool accounting sees every block the list holds or hands out).
 */
final class LookasideDefaults {

    /** Modifier bits of a POOL_TYPE that select no pool. */
    private static final int MODIFIERS = PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE | PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE
            | PoolType.POOL_COLD_ALLOCATION;

    private LookasideDefaults() {
    }

    /** What native code calling the default allocate stub gets: the pool of the calling thread's kernel. */
    static final ALLOCATE_FUNCTION_EX ALLOCATE = (type, bytes, tag, lookaside) -> {
        long a = allocator(Kernel.current()).allocate(type, bytes, tag, lookaside.address());
        return a == 0 ? MemorySegment.NULL : Kernel.current().addressSpace().resolve(a, bytes);
    };

    /** What native code calling the default free stub gets. */
    static final FREE_FUNCTION_EX FREE = (buffer, lookaside) -> freer(Kernel.current()).free(buffer.address(), lookaside.address());

    /** Allocates {@code bytes} from {@code kernel}'s pool of the list's type with its tag; 0 on failure. */
    static LookasideRegistry.Allocator allocator(Kernel kernel) {
        // RAISE_ON_FAIL is applied by ExLookaside for every allocate routine, so the pool is asked
        // to return NULL here.
        // Uninitialized, as ExAllocatePoolWithTag returns it; the cache-aligned types (bit 2) get
        // cache-aligned blocks.
        return (type, bytes, tag, lookaside) -> kernel.pool(type & ~MODIFIERS).allocate(bytes, tag,
                PoolFlags.POOL_FLAG_UNINITIALIZED | ((type & 4) != 0 ? PoolFlags.POOL_FLAG_CACHE_ALIGNED : 0));
    }

    /** Frees {@code block} to {@code kernel}'s pool of the list's type, with the list's tag. */
    static LookasideRegistry.Freer freer(Kernel kernel) {
        return (block, lookaside) -> {
            Region r = kernel.addressSpace().regionOf(lookaside, ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            long o = r.offsetOf(lookaside);
            int type = r.segment().get(ValueLayout.JAVA_INT, o + ExLookaside.TYPE_OFFSET);
            int tag = r.segment().get(ValueLayout.JAVA_INT, o + ExLookaside.TAG_OFFSET);
            kernel.pool(type & ~MODIFIERS).free(block, tag);
        };
    }
}
