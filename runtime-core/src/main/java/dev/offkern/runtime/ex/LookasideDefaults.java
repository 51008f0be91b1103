package dev.offkern.runtime.ex;

import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.DecodedPoolType;
import dev.offkern.runtime.pool.Pools;
import java.lang.foreign.ValueLayout;

/**
 * The routines a lookaside list uses when its Allocate/Free arguments are NULL: Windows stores
 * {@code ExAllocatePoolWithTag} and {@code ExFreePool}; offkern's registry stores one pair of upcall
 * stubs per kernel whose Java dispatch allocates from and frees to that kernel's pool of the list's
 * type ({@link DecodedPoolType}), with the list's tag (so per-tag pool accounting sees every block
 * the list holds or hands out). The routines get the kernel's {@link Pools} from the registry that
 * creates them; they never look the kernel up.
 */
final class LookasideDefaults {

    private LookasideDefaults() {
    }

    /** Allocates {@code bytes} from the pool of the list's type with its tag; 0 on failure. */
    static LookasideRegistry.Allocator allocator(Pools pools) {
        // RAISE_ON_FAIL is applied by ExLookaside for every allocate routine, so the pool is asked
        // to return NULL here. Uninitialized, as ExAllocatePoolWithTag returns it; the cache-aligned
        // types get cache-aligned blocks.
        return (type, bytes, tag, lookaside) -> {
            DecodedPoolType t = decode(type, lookaside);
            return pools.of(t).allocate(bytes, tag,
                    PoolFlags.POOL_FLAG_UNINITIALIZED | (t.cacheAligned() ? PoolFlags.POOL_FLAG_CACHE_ALIGNED : 0));
        };
    }

    /** Frees {@code block} to the pool of the list's type, with the list's tag. */
    static LookasideRegistry.Freer freer(Pools pools, AddressSpace space) {
        return (block, lookaside) -> {
            Region r = space.regionOf(lookaside, ExLookaside.LOOKASIDE_LIST_EX_SIZE);
            long o = r.offsetOf(lookaside);
            int type = r.segment().get(ValueLayout.JAVA_INT, o + GENERAL_LOOKASIDE.TYPE_OFFSET);
            int tag = r.segment().get(ValueLayout.JAVA_INT, o + GENERAL_LOOKASIDE.TAG_OFFSET);
            pools.of(decode(type, lookaside)).free(block, tag);
        };
    }

    /** The list's Type decoded; a clear error if the structure's Type field was overwritten. */
    private static DecodedPoolType decode(int type, long lookaside) {
        DecodedPoolType t = DecodedPoolType.decode(type);
        if (t == null) {
            throw new IllegalStateException("lookaside list at 0x" + Long.toHexString(lookaside) + " has Type "
                    + type + ", which is no POOL_TYPE: the structure was overwritten");
        }
        return t;
    }
}
