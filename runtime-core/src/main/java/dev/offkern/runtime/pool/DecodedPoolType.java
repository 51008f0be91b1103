package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolType;

/**
 * A {@code POOL_TYPE} value taken apart: the one place offkern reads POOL_TYPE's bits. The legacy
 * allocation routines ({@code ExAllocatePoolWithTag} and family), lookaside initialisation and the
 * kernel's {@code pool(poolType)} all go through {@link #decode}.
 *
 * <p>A POOL_TYPE is a base type (wdm.h's {@code NonPagedPool} 0 .. {@code NonPagedPoolCacheAlignedMustS}
 * 6, without {@code DontUseThisType} 3) OR'ed with any of: {@code POOL_QUOTA_FAIL_INSTEAD_OF_RAISE} (8),
 * {@code POOL_RAISE_IF_ALLOCATION_FAILURE} (16), the session bit ({@code NonPagedPoolSession} 32),
 * {@code POOL_COLD_ALLOCATION} (256) and the NX bit ({@code NonPagedPoolNx} 512). In the base type,
 * bit 0 selects the paged pool, bit 1 "must succeed" (2, 6), bit 2 cache alignment (4, 5, 6). Any
 * other bit, or base 3 or 7, is no POOL_TYPE. Session and NX types behave as their base type (offkern
 * has one session and no executable pool).
 *
 * @param value                   the POOL_TYPE as given
 * @param base                    the base type (modifier, session and NX bits removed)
 * @param paged                   whether the paged pool serves it
 * @param cacheAligned            whether blocks are cache aligned
 * @param mustSucceed             a MustSucceed type (2, 6; no longer supported by Windows)
 * @param session                 the session bit is set
 * @param nx                      the NX bit is set
 * @param raiseOnFailure          POOL_RAISE_IF_ALLOCATION_FAILURE is set
 * @param quotaFailInsteadOfRaise POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is set
 * @param cold                    POOL_COLD_ALLOCATION is set
 */
public record DecodedPoolType(int value, int base, boolean paged, boolean cacheAligned, boolean mustSucceed,
                              boolean session, boolean nx, boolean raiseOnFailure, boolean quotaFailInsteadOfRaise,
                              boolean cold) {

    /* Implementation overview: every valid POOL_TYPE is below 1024 (bit 9 is the highest defined), so
     * decode() is one bounds check and one load from a table built once; it allocates nothing and the
     * records are shared. */

    private static final int BASE_BITS = PoolType.NonPagedPool | PoolType.PagedPool | PoolType.NonPagedPoolMustSucceed
            | PoolType.NonPagedPoolCacheAligned;
    private static final int FLAG_BITS = PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE
            | PoolType.NonPagedPoolSession | PoolType.POOL_COLD_ALLOCATION | PoolType.NonPagedPoolNx;
    private static final DecodedPoolType[] TABLE = new DecodedPoolType[Integer.highestOneBit(FLAG_BITS) << 1];

    static {
        for (int v = 0; v < TABLE.length; v++) {
            int base = v & BASE_BITS;
            if ((v & ~(BASE_BITS | FLAG_BITS)) != 0 || base == PoolType.DontUseThisType || base == PoolType.MaxPoolType) {
                continue;
            }
            TABLE[v] = new DecodedPoolType(v, base,
                    (base & PoolType.PagedPool) != 0,
                    (base & PoolType.NonPagedPoolCacheAligned) != 0,
                    (base & PoolType.NonPagedPoolMustSucceed) != 0,
                    (v & PoolType.NonPagedPoolSession) != 0,
                    (v & PoolType.NonPagedPoolNx) != 0,
                    (v & PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
                    (v & PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) != 0,
                    (v & PoolType.POOL_COLD_ALLOCATION) != 0);
        }
    }

    /**
     * {@code poolType} decoded, or {@code null} if it is no POOL_TYPE (DontUseThisType, MaxPoolType,
     * an undefined bit, a negative value). Allocation-free.
     */
    public static DecodedPoolType decode(int poolType) {
        return poolType >= 0 && poolType < TABLE.length ? TABLE[poolType] : null;
    }

    /** {@link PoolType#PagedPool} or {@link PoolType#NonPagedPool}: which of the kernel's pools serves this type. */
    public int pool() {
        return paged ? PoolType.PagedPool : PoolType.NonPagedPool;
    }

    /** Whether the value carries no modifier, session or NX bit beyond its base type. */
    public boolean isPlain() {
        return value == base;
    }
}
