package dev.offkern.nt;

/** {@code POOL_TYPE} values as wdm.h defines them (the legacy allocation interface's pool selector). */
public final class PoolType {
    public static final int NonPagedPool = 0;
    public static final int NonPagedPoolExecute = 0;
    public static final int PagedPool = 1;
    public static final int NonPagedPoolMustSucceed = 2;
    public static final int DontUseThisType = 3;
    public static final int NonPagedPoolCacheAligned = 4;
    public static final int PagedPoolCacheAligned = 5;
    public static final int NonPagedPoolCacheAlignedMustS = 6;
    public static final int MaxPoolType = 7;
    public static final int NonPagedPoolBase = 0;
    public static final int NonPagedPoolBaseMustSucceed = 2;
    public static final int NonPagedPoolBaseCacheAligned = 4;
    public static final int NonPagedPoolBaseCacheAlignedMustS = 6;
    public static final int NonPagedPoolSession = 32;
    public static final int PagedPoolSession = 33;
    public static final int NonPagedPoolNx = 512;
    public static final int NonPagedPoolNxCacheAligned = 516;
    public static final int NonPagedPoolSessionNx = 544;
    /** Modifier: raise an exception instead of returning NULL. */
    public static final int POOL_RAISE_IF_ALLOCATION_FAILURE = 16;
    /** Modifier: cold allocation. */
    public static final int POOL_COLD_ALLOCATION = 256;
    /** Modifier: fail quota charging with NULL instead of raising. */
    public static final int POOL_QUOTA_FAIL_INSTEAD_OF_RAISE = 8;

    private PoolType() {
    }
}
