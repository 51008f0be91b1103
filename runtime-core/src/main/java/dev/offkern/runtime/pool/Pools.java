package dev.offkern.runtime.pool;

import dev.offkern.runtime.ke.LiveObjects;
import dev.offkern.layout.mm.POOL_EXTENDED_PARAMETER;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.NtStatusException;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.LiveMemory;
import dev.offkern.runtime.verifier.BugCheckSink;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A kernel's two pools and the pool policy of the DDI: which pool a request goes to, how
 * {@code ExAllocatePool2}'s POOL_FLAGS and {@code ExAllocatePool3}'s extended parameters are
 * validated, the verifier's checks of the legacy routines ({@code BAD_POOL_CALLER} 0x9A-0x9D), and
 * which pool a freed address belongs to. {@code dev.offkern.ddi.Ex} delegates each pool routine here
 * in one line; {@link Pool} does the allocation itself and its own checks (IRQL 0x08/0x09, zero
 * bytes 0x00, frees 0x07/0x0A/0x42/0x46, headers 0x19).
 *
 * <p>Failures, as Windows reports them: a parameter error returns NULL, or raises
 * {@code STATUS_INVALID_PARAMETER} with {@code POOL_FLAG_RAISE_ON_FAILURE}; an exhausted pool (and a
 * request larger than the pool can ever hold) returns NULL or raises {@code STATUS_INSUFFICIENT_RESOURCES}.
 * Verifier findings are bug checks through the kernel's one bug-check path.
 *
 * <p>Thread-safe: every method may run concurrently with any other (the pools are). IRQL: see each
 * routine in {@code Ex} and {@link Pool#allocate}.
 */
public final class Pools {

    /** MM_ANY_NODE_OK: a PreferredNode meaning "any NUMA node will do". */
    public static final int MM_ANY_NODE_OK = 0x80000000;
    /** The tag Windows reserves for its big-page table: "BIG " (verifier: 0x9C). */
    static final int BIG_TAG = PoolTags.tag("BIG ");

    private static final ValueLayout.OfLong ULONG64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long PARAMETER_SIZE = POOL_EXTENDED_PARAMETER.X64.size();

    private final Pool nonPaged;
    private final Pool paged;
    private final BugCheckSink bugChecks;
    private final boolean verify;

    /**
     * Both pools of a kernel over {@code addressSpace}, reporting to {@code bugChecks}; {@code verify}
     * turns the verifier's POOL family on for them (the JVM-wide switch {@link Verifier#ENABLED} still
     * gates it).
     */
    public Pools(AddressSpace addressSpace, BugCheckSink bugChecks, long nonPagedLimit, long pagedLimit, long chunkSize,
                 boolean verify) {
        this.bugChecks = bugChecks;
        this.verify = verify;
        this.nonPaged = new Pool(addressSpace, bugChecks, PoolType.NonPagedPool, nonPagedLimit, chunkSize, verify);
        this.paged = new Pool(addressSpace, bugChecks, PoolType.PagedPool, pagedLimit, chunkSize, verify);
    }

    /** Both pools check frees against {@code registry} ({@link Pool#checkTimersAndDpcsOnFree}); null: no check. */
    public void checkTimersAndDpcsOnFree(LiveObjects registry) {
        nonPaged.checkTimersAndDpcsOnFree(registry);
        paged.checkTimersAndDpcsOnFree(registry);
    }

    public Pool nonPaged() {
        return nonPaged;
    }

    /** Both pools: the calling thread now runs the driver with owner id {@code owner} (0: none) ({@link Pool#setThreadOwner}). */
    public void setThreadOwner(int owner) {
        nonPaged.setThreadOwner(owner);
        paged.setThreadOwner(owner);
    }

    /** Both pools name owner ids with {@code names} in their reports. */
    public void setOwnerNames(java.util.function.IntFunction<String> names) {
        nonPaged.setOwnerNames(names);
        paged.setOwnerNames(names);
    }

    /** The blocks the driver with owner id {@code owner} has allocated now, in both pools. */
    public LeakReport outstanding(int owner) {
        return nonPaged.outstanding(owner).plus(paged.outstanding(owner));
    }

    /** The owner id of the allocated block holding {@code address} in either pool (0: none). */
    public int ownerOf(long address) {
        Pool p = owning(address);
        return p == null ? 0 : p.ownerOf(address);
    }

    public Pool paged() {
        return paged;
    }

    /**
     * The pool a POOL_TYPE selects ({@link DecodedPoolType}): the paged pool for every paged type,
     * else the non-paged pool; modifier bits are ignored.
     *
     * @throws IllegalArgumentException if {@code poolType} is no POOL_TYPE
     */
    public Pool of(int poolType) {
        return of(decode(poolType));
    }

    /** The pool serving {@code type}. */
    public Pool of(DecodedPoolType type) {
        return type.paged() ? paged : nonPaged;
    }

    /** The pool holding {@code address} in one of its chunks, or null. */
    public Pool owning(long address) {
        if (nonPaged.owns(address)) {
            return nonPaged;
        }
        return paged.owns(address) ? paged : null;
    }

    // ===== ExAllocatePool2 / ExAllocatePool3 =====

    /**
     * {@code ExAllocatePool2}: NULL (or a raise with POOL_FLAG_RAISE_ON_FAILURE) for Tag 0, no pool
     * flag or both, a required flag that is unknown, reserved or unsatisfiable (session); unknown
     * optional flags and POOL_FLAG_SPECIAL_POOL are ignored; POOL_FLAG_USE_QUOTA charges nothing.
     *
     * @return a segment of exactly {@code bytes}, or {@link MemorySegment#NULL}
     */
    public MemorySegment allocatePool2(long flags, long bytes, int tag) {
        return allocatePool2(null, flags, bytes, tag);
    }

    /** {@link #allocatePool2(long, long, int)} for the thread of {@code t} (null: the calling thread, looked up). */
    MemorySegment allocatePool2(ThreadPools t, long flags, long bytes, int tag) {
        long required = flags & PoolFlags.POOL_FLAG_REQUIRED_MASK;
        boolean wantPaged = (required & PoolFlags.POOL_FLAG_PAGED) != 0;
        boolean wantNonPaged = (required & (PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_NON_PAGED_EXECUTE)) != 0;
        if (tag == 0) {
            return rejected(flags, "ExAllocatePool2: Tag is 0");
        }
        if (wantPaged == wantNonPaged) {
            return rejected(flags, wantPaged ? "ExAllocatePool2: both POOL_FLAG_PAGED and POOL_FLAG_NON_PAGED"
                    : "ExAllocatePool2: neither POOL_FLAG_PAGED nor POOL_FLAG_NON_PAGED");
        }
        long unsupported = required & (~PoolFlags.POOL_FLAG_KNOWN_REQUIRED | PoolFlags.POOL_FLAG_SESSION
                | PoolFlags.POOL_FLAG_RESERVED1 | PoolFlags.POOL_FLAG_RESERVED2 | PoolFlags.POOL_FLAG_RESERVED3);
        if (unsupported != 0) {
            return rejected(flags, "ExAllocatePool2: required flag(s) 0x" + Long.toHexString(unsupported)
                    + " unknown or unsatisfiable");
        }
        return segment(t, wantPaged ? paged : nonPaged, bytes, tag, flags & (PoolFlags.POOL_FLAG_UNINITIALIZED
                | PoolFlags.POOL_FLAG_CACHE_ALIGNED | PoolFlags.POOL_FLAG_RAISE_ON_FAILURE), true);
    }

    /**
     * {@code ExAllocatePool3}: {@link #allocatePool2} after checking {@code count} POOL_EXTENDED_PARAMETERs
     * at {@code parameters}: an empty list (NULL or count 0); PoolExtendedParameterPriority (every
     * priority behaves as NormalPoolPriority: the pools have no low-resource tiers);
     * PoolExtendedParameterNumaNode with node 0 or {@link #MM_ANY_NODE_OK}. Any other type (secure
     * pool included) fails the allocation unless its Optional bit is set, in which case it is ignored.
     */
    public MemorySegment allocatePool3(long flags, long bytes, int tag, MemorySegment parameters, int count) {
        return allocatePool3(null, flags, bytes, tag, parameters, count);
    }

    /** {@link #allocatePool3(long, long, int, MemorySegment, int)} for the thread of {@code t} (null: the calling thread). */
    MemorySegment allocatePool3(ThreadPools t, long flags, long bytes, int tag, MemorySegment parameters, int count) {
        if (count != 0) {
            long n = Integer.toUnsignedLong(count);
            if (parameters == null || parameters.equals(MemorySegment.NULL) || parameters.byteSize() / PARAMETER_SIZE < n) {
                return rejected(flags, "ExAllocatePool3: ExtendedParameters does not hold "
                        + Integer.toUnsignedString(count) + " POOL_EXTENDED_PARAMETERs");
            }
            LiveMemory.require(parameters, "ExAllocatePool3", "ExtendedParameters");
            for (long i = 0; i < n; i++) {
                long p = i * PARAMETER_SIZE;
                long bits = parameters.get(ULONG64, p + POOL_EXTENDED_PARAMETER.BITS_OFFSET);
                int type = (int) (bits >>> POOL_EXTENDED_PARAMETER.TYPE_SHIFT) & ((1 << POOL_EXTENDED_PARAMETER.TYPE_BITS) - 1);
                boolean optional = (bits >>> POOL_EXTENDED_PARAMETER.OPTIONAL_SHIFT & 1) != 0;
                boolean ok = switch (type) {
                    case PoolFlags.PoolExtendedParameterPriority -> true;
                    case PoolFlags.PoolExtendedParameterNumaNode -> {
                        int node = parameters.get(ULONG, p + POOL_EXTENDED_PARAMETER.PREFERRED_NODE_OFFSET);
                        yield node == 0 || node == MM_ANY_NODE_OK;
                    }
                    default -> false;
                };
                if (!ok && !optional) {
                    return rejected(flags, "ExAllocatePool3: extended parameter " + i + " (type " + type + ") is not supported");
                }
            }
        }
        return allocatePool2(t, flags, bytes, tag);
    }

    // ===== ExAllocatePoolWithTag / ExAllocatePoolZero / ExAllocatePool =====

    /**
     * The legacy routines: {@code poolType} selects the pool and alignment, POOL_RAISE_IF_ALLOCATION_FAILURE
     * raises instead of returning NULL; {@code zero} zeroes the block (ExAllocatePoolZero), else it is
     * left as its last owner left it (ExAllocatePoolWithTag, as Windows).
     *
     * <p>Verifier (POOL family): MustSucceed types: {@code BAD_POOL_CALLER} (0x9A, pool type, bytes,
     * tag); Tag 0: (0x9B, pool type, bytes, 0); tag "BIG ": (0x9C, pool type, bytes, 0); a tag with no
     * letter or digit: (0x9D, tag, pool type, 0).
     *
     * @throws IllegalArgumentException if {@code poolType} is no POOL_TYPE (DontUseThisType, MaxPoolType, ...)
     */
    public MemorySegment allocateWithTag(int poolType, long bytes, int tag, boolean zero) {
        return allocateWithTag(poolType, bytes, tag, zero, false);
    }

    /**
     * {@link #allocateWithTag(int, long, int, boolean)}; {@code driver}: a driver's own call (the
     * DDI's ExAllocatePoolWithTag and family), attributed to the driver the calling thread runs
     * ({@link Pool#allocateForDriver}); false for the kernel's own allocations.
     */
    public MemorySegment allocateWithTag(int poolType, long bytes, int tag, boolean zero, boolean driver) {
        return allocateWithTag(null, poolType, bytes, tag, zero, driver);
    }

    /** {@link #allocateWithTag(int, long, int, boolean, boolean)} for the thread of {@code t} (null: the calling thread). */
    MemorySegment allocateWithTag(ThreadPools t, int poolType, long bytes, int tag, boolean zero, boolean driver) {
        nonPaged.ensureOpen(); // first: on a closed kernel the verifier's findings below would not say it is closed
        DecodedPoolType type = decode(poolType);
        if (Verifier.ENABLED && verify) {
            try {
                verifyLegacy(type, bytes, tag);
            } catch (BugCheck refused) {
                if (bugChecks.closed()) { // Kernel.close() ran on another thread since the check above
                    throw new IllegalStateException("this offkern kernel is closed: Kernel.close() ran during the allocation"
                            + " (which the verifier refused: " + refused.getMessage() + ")", refused);
                }
                throw refused;
            }
        }
        long flags = (zero ? 0 : PoolFlags.POOL_FLAG_UNINITIALIZED)
                | (type.cacheAligned() ? PoolFlags.POOL_FLAG_CACHE_ALIGNED : 0)
                | (type.raiseOnFailure() ? PoolFlags.POOL_FLAG_RAISE_ON_FAILURE : 0);
        return segment(t, of(type), bytes, tag, flags, driver);
    }

    private void verifyLegacy(DecodedPoolType type, long bytes, int tag) {
        int poolType = type.value();
        if (type.mustSucceed()) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x9A, poolType, bytes, tag & 0xFFFFFFFFL,
                    "MUST_SUCCEED pool types are no longer supported");
        }
        if (tag == 0) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x9B, poolType, bytes, 0, "pool tag 0");
        }
        if ((tag & ~PoolTags.PROTECTED_POOL) == BIG_TAG) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x9C, poolType, bytes, 0, "pool tag 'BIG '");
        }
        if (!PoolTags.hasLetterOrDigit(tag)) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x9D, tag & 0xFFFFFFFFL, poolType, 0,
                    "pool tag '" + PoolTags.toString(tag) + "' has no letter or digit");
        }
    }

    // ===== ExFreePoolWithTag / ExFreePool =====

    /**
     * Frees the block at {@code address} to whichever pool holds it ({@link Pool#free} lists the
     * checks); an address in neither pool is {@code BAD_POOL_CALLER} (0x42, address, 0, 0).
     *
     * @param tag the allocation's tag, or 0 not to check it (except for a PROTECTED_POOL tag)
     */
    public void free(long address, int tag) {
        if (!nonPaged.tryFree(address, tag) && !paged.tryFree(address, tag)) {
            throw notInAnyPool(address);
        }
    }

    /**
     * {@link #free(long, int)} for the thread of {@code t}: its cache of each pool comes from {@code t}
     * (the paged pool's only when the address is not non-paged).
     */
    void free(ThreadPools t, long address, int tag) {
        if (!nonPaged.tryFree(t.cache(nonPaged), address, tag) && !paged.tryFree(t.cache(paged), address, tag)) {
            throw notInAnyPool(address);
        }
    }

    private RuntimeException notInAnyPool(long address) {
        return bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x42, address, 0, 0,
                "0x" + Long.toHexString(address) + " was never in any pool");
    }

    /** Closes both pools and returns what was still allocated in them. */
    public LeakReport closeAndReport() {
        return nonPaged.closeAndReport().plus(paged.closeAndReport());
    }

    // ----- helpers -----

    /** {@code poolType} decoded; an IllegalArgumentException naming it if it is no POOL_TYPE. */
    private static DecodedPoolType decode(int poolType) {
        DecodedPoolType type = DecodedPoolType.decode(poolType);
        if (type == null) {
            throw new IllegalArgumentException("not a POOL_TYPE: " + poolType);
        }
        return type;
    }

    /** A block of {@code pool} for the thread of {@code t} (its cache), or for the calling thread looked up (null). */
    private static MemorySegment segment(ThreadPools t, Pool pool, long bytes, int tag, long flags, boolean driver) {
        return t == null ? pool.allocateSegment(bytes, tag, flags, driver)
                : pool.allocateSegment(t.cache(pool), bytes, tag, flags, driver);
    }

    private static MemorySegment rejected(long flags, String why) {
        if ((flags & PoolFlags.POOL_FLAG_RAISE_ON_FAILURE) != 0) {
            throw new NtStatusException(NtStatus.STATUS_INVALID_PARAMETER, why);
        }
        return MemorySegment.NULL;
    }
}
