package dev.offkern.nt;

/**
 * {@code POOL_FLAGS} for {@code ExAllocatePool2}/{@code ExAllocatePool3}, as wdm.h defines them. The
 * low 32 bits are <em>required</em> flags: an unknown or unsatisfiable one makes the allocation fail
 * (NULL, or a raise with {@link #POOL_FLAG_RAISE_ON_FAILURE}). The high 32 bits are <em>optional</em>:
 * an unknown optional flag is ignored.
 */
public final class PoolFlags {
    public static final long POOL_FLAG_REQUIRED_START = 0x0000000000000001L;
    /** Charge quota to the current process (offkern has no process model yet: accepted, nothing charged). */
    public static final long POOL_FLAG_USE_QUOTA = 0x0000000000000001L;
    /** Do not zero the block. */
    public static final long POOL_FLAG_UNINITIALIZED = 0x0000000000000002L;
    /** Session pool (operating system only: refused). */
    public static final long POOL_FLAG_SESSION = 0x0000000000000004L;
    /** Align the block on a cache line (64 bytes in offkern). */
    public static final long POOL_FLAG_CACHE_ALIGNED = 0x0000000000000008L;
    public static final long POOL_FLAG_RESERVED1 = 0x0000000000000010L;
    /** Raise STATUS_INSUFFICIENT_RESOURCES instead of returning NULL. */
    public static final long POOL_FLAG_RAISE_ON_FAILURE = 0x0000000000000020L;
    /** Non-paged, non-executable pool. */
    public static final long POOL_FLAG_NON_PAGED = 0x0000000000000040L;
    /** Non-paged executable pool (offkern: the non-paged pool). */
    public static final long POOL_FLAG_NON_PAGED_EXECUTE = 0x0000000000000080L;
    /** Paged pool. */
    public static final long POOL_FLAG_PAGED = 0x0000000000000100L;
    public static final long POOL_FLAG_RESERVED2 = 0x0000000000000200L;
    public static final long POOL_FLAG_RESERVED3 = 0x0000000000000400L;
    public static final long POOL_FLAG_LAST_REQUIRED = POOL_FLAG_RESERVED3;
    public static final long POOL_FLAG_REQUIRED_END = 0x0000000080000000L;
    public static final long POOL_FLAG_OPTIONAL_START = 0x0000000100000000L;
    /** Special pool (a hint: ignored). */
    public static final long POOL_FLAG_SPECIAL_POOL = 0x0000000100000000L;
    public static final long POOL_FLAG_LAST_OPTIONAL = POOL_FLAG_SPECIAL_POOL;
    public static final long POOL_FLAG_OPTIONAL_END = 0x8000000000000000L;

    /** The required half of POOL_FLAGS (bits 0..31). */
    public static final long POOL_FLAG_REQUIRED_MASK = 0x00000000FFFFFFFFL;
    /** Every required flag Windows defines today (bits 0..10); any other required bit fails the allocation. */
    public static final long POOL_FLAG_KNOWN_REQUIRED = (POOL_FLAG_LAST_REQUIRED << 1) - 1;

    /** {@code ExAllocatePool3} extended parameter types (POOL_EXTENDED_PARAMETER_TYPE). */
    public static final int PoolExtendedParameterInvalidType = 0;
    public static final int PoolExtendedParameterPriority = 1;
    public static final int PoolExtendedParameterSecurePool = 2;
    public static final int PoolExtendedParameterNumaNode = 3;
    public static final int PoolExtendedParameterMax = 4;

    /** EX_POOL_PRIORITY values for PoolExtendedParameterPriority. */
    public static final int LowPoolPriority = 0;
    public static final int NormalPoolPriority = 16;
    public static final int HighPoolPriority = 32;

    private PoolFlags() {
    }
}
