package dev.offkern.runtime.ex;

import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.ALLOCATE_FUNCTION_EX;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.nt.FREE_FUNCTION_EX;
import dev.offkern.nt.NtStatus;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.ALLOCATE_EX_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.ALLOCATE_MISSES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.DEPTH_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.FREE_EX_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.FREE_MISSES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.LAST_ALLOCATE_MISSES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.LAST_TOTAL_ALLOCATES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.LIST_HEAD_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.MAXIMUM_DEPTH_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.SIZE_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.TAG_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.TOTAL_ALLOCATES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.TOTAL_FREES_OFFSET;
import static dev.offkern.layout.ex.GENERAL_LOOKASIDE.TYPE_OFFSET;

import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.SLIST_ENTRY;
import dev.offkern.layout.ex.NPAGED_LOOKASIDE_LIST;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.pool.DecodedPoolType;
import dev.offkern.runtime.pool.Pool;
import dev.offkern.runtime.verifier.VerifierCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * Lookaside lists: the one implementation behind LOOKASIDE_LIST_EX, NPAGED_LOOKASIDE_LIST and
 * PAGED_LOOKASIDE_LIST (x64 layouts), over the byte-exact {@code GENERAL_LOOKASIDE} fields.
 * A lookaside list caches fixed-size blocks of one pool type and tag on an SLIST ({@link ExSList},
 * the shim's cmpxchg16b) whose header is the structure's first 16 bytes.
 *
 * <p>Operations, as Windows' inline routines do them:
 * <ul>
 *   <li>allocate: TotalAllocates+1; pop; if the list was empty, AllocateMisses+1 and call the
 *       allocate routine (AllocateEx) with (Type, Size, Tag[, Lookaside]). (A hit counts right after
 *       its pop: see the implementation overview.)</li>
 *   <li>free: TotalFrees+1; if the SLIST's depth &gt;= Depth, FreeMisses+1 and call the free
 *       routine (FreeEx), else push (and count right after it).</li>
 *   <li>flush: pop every cached block and give it to the free routine (counters unchanged).</li>
 *   <li>delete: unlink the list from the kernel's system-wide list, then flush.</li>
 *   <li>scan (every {@value LookasideRegistry#SCAN_PERIOD_SECONDS} s per kernel, or
 *       {@link #scanAll} on demand): Depth := {@link #computeDepth}.</li>
 * </ul>
 *
 * <p>Entry points: the DDI ({@code dev.offkern.ddi.Ex}, MemorySegments, a segment wrapper per
 * returned block); the checked long tier {@code allocate(LookasideRegistry, long)}/{@code free(LookasideRegistry,
 * long, long)} (list and block resolved in the kernel's address space: bug check 0x50 if unmapped;
 * allocation-free); the trusted segment tier {@code allocate(LookasideRegistry, MemorySegment)}/{@code
 * free(LookasideRegistry, MemorySegment, long)} (the caller holds the list's bounded segment; no Java
 * address-space lookups, only the shim's own checks of the SLIST it follows; allocation-free; the
 * fastest).
 *
 * <p>Checks: the list and every block are resolved in registered memory (always; 0x50). Under the
 * verifier's SPECIAL_POOL family a freed block must hold the list's Size bytes inside one live block
 * (0xD6, 0xD5) and must not be in the list already (BAD_POOL_CALLER 0x07: pool blocks carry a parked
 * mark while the list holds them, exact at any depth; caller-registered blocks are compared with
 * the list's first entry), and a custom allocate routine's block must hold Size bytes.
 *
 * <p>Progress: allocate and free are lock-free when they hit the list (one atomic add, one
 * cmpxchg16b); a miss runs the routine (the pool: blocking). Initialize, delete and the scan take
 * the kernel's lookaside registry lock. IRQL: ≤ DISPATCH_LEVEL (paged: ≤ APC_LEVEL).
 *
 * <p>Which calls may run concurrently on one list: allocate, free and flush with each other and
 * with the scan; initialize and delete with nothing on that list (the caller serializes them, as
 * Windows requires).
 */
public final class ExLookaside {

    /*
     * Implementation overview.
     *
     * State: only the structure's memory (GENERAL_LOOKASIDE x64 offsets below) and the kernel's
     * LookasideRegistry (live set, routine table, system-wide LIST_ENTRY lists). Nothing about a list
     * is cached on the Java heap, so native code reading the structure sees the real state.
     *
     * Counters. Windows increments TotalAllocates & co. with plain (racy) adds and accepts lost
     * updates in a statistic. offkern uses atomic adds (VarHandle getAndAdd, volatile mode: an
     * Interlocked increment) so that the counters are exact under contention and the invariant
     * TotalAllocates - TotalFrees == blocks handed out and not yet freed holds at quiescence. Cost:
     * one lock xadd on a line the SLIST CAS owns anyway. A hit counts after its SLIST operation
     * (Windows counts first): a pop or push the shim refuses (0x50) then changes nothing, and the lock
     * xadd does not stand between the call's start and the downcall (measured: about 3 ns per
     * allocate+free pair, LookasideAllocFreeBenchmark.lookasideSegment). A miss counts before it calls
     * the routine, so a routine reads the counters as Windows' would.
     *
     * Depth (the list's target size) is written only by the scan (under the registry lock) and by
     * initialize; free reads it plainly: a stale value only lets the list run one scan late, as in
     * Windows. The depth check and the push are not atomic together: under contention the list may
     * briefly exceed Depth by the number of concurrent freers (Windows has the same race).
     *
     * Depth rule (computeDepth), Windows' ExpComputeLookasideDepth as public sources describe it:
     * allocations A and misses M since the previous scan, Depth D, MaximumDepth X, minimum 4:
     *   A < 25 * ScanPeriod         -> D := max(D - 10, 4)
     *   else ratio R = 1000 * M / A:
     *     R < 5 (miss rate < 0.5%)  -> D := max(D - 1, 4)
     *     else                      -> D := min(D + min(R * (X - D) / 2000 + 5, 30), X)
     * ScanPeriod is 3 (each list is scanned every 3 s). Initial D is 4, X is 256
     * (EX_MAXIMUM_LOOKASIDE_DEPTH_BASE); the Depth argument of the initialize routines is ignored,
     * as Windows ignores it. Windows' verifier sets the minimum depth to 0 (disabling lookasides);
     * offkern's verifier does not.
     *
     * Size is stored as given (Windows does not round it); every pool block is 16-byte aligned and
     * at least 16 bytes long, which is what the SLIST link needs. Blocks from a custom allocate
     * routine are checked (16-byte aligned, inside the address space) when they are returned, so a
     * bad routine fails at its source and never corrupts the list.
     */

    // Field offsets: GENERAL_LOOKASIDE's x64 constants, used directly (static import below); they are
    // identical from Windows 7 to 11 23H2 and GENERAL_LOOKASIDE_POOL shares them up to Future.

    /** sizeof(LOOKASIDE_LIST_EX) = sizeof(GENERAL_LOOKASIDE_POOL) on x64. */
    public static final long LOOKASIDE_LIST_EX_SIZE = LOOKASIDE_LIST_EX.X64.size();
    /** sizeof(NPAGED_LOOKASIDE_LIST) = sizeof(PAGED_LOOKASIDE_LIST) = sizeof(GENERAL_LOOKASIDE) on x64. */
    public static final long GENERAL_LOOKASIDE_SIZE = NPAGED_LOOKASIDE_LIST.X64.size();
    /** Required alignment of every lookaside structure (16 on 64-bit, as Microsoft documents). */
    public static final long ALIGNMENT = LOOKASIDE_LIST_EX.X64.align();

    /** {@code LOOKASIDE_MINIMUM_BLOCK_SIZE} = RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next) on x64. */
    public static final long LOOKASIDE_MINIMUM_BLOCK_SIZE = SLIST_ENTRY.NEXT_OFFSET + SLIST_ENTRY.X64.field("Next").size();
    /** Blocks one flush or delete pops at most before it calls the list corrupt: twice what a 16-bit SLIST Depth counts. */
    static final long MAX_FLUSHED = 2L * 0xFFFF;
    /** {@code EX_MAXIMUM_LOOKASIDE_DEPTH_BASE}: the MaximumDepth every list gets. */
    public static final int EX_MAXIMUM_LOOKASIDE_DEPTH_BASE = 256;
    /** {@code EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT}. */
    public static final int EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT = 1024;
    /** Windows' MINIMUM_LOOKASIDE_DEPTH: the initial Depth and the floor of the scan. */
    public static final int MINIMUM_LOOKASIDE_DEPTH = 4;
    /** Windows' MINIMUM_ALLOCATION_THRESHOLD: allocations per second below which Depth shrinks by 10. */
    public static final int MINIMUM_ALLOCATION_THRESHOLD = 25;
    /** {@code EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL}. */
    public static final int EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL = 0x1;
    /** {@code EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE}. */
    public static final int EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE = 0x2;
    /** POOL_NX_ALLOCATION, accepted in the Flags of ExInitializeNPagedLookasideList (Windows 8+). */
    public static final int POOL_NX_ALLOCATION = 512;

    /** Verifier subcodes of DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) for lookaside lists. */
    public static final int DV_LOOKASIDE_REINITIALIZED = 0xCA;
    public static final int DV_LOOKASIDE_DELETE_UNINITIALIZED = 0xCB;
    public static final int DV_LOOKASIDE_BLOCK_TOO_SMALL = 0xCD;

    private ExLookaside() {
    }

    // ===== initialization =====

    /**
     * {@code ExInitializeLookasideListEx}: returns STATUS_SUCCESS, STATUS_INVALID_PARAMETER_4 (a
     * PoolType other than the nonpaged/paged base types, their NX and cache-aligned forms),
     * STATUS_INVALID_PARAMETER_5 (Flags other than 0, RAISE_ON_FAIL, FAIL_NO_RAISE, or FAIL_NO_RAISE
     * with the default allocate routine, which Microsoft leaves undefined).
     */
    public static int initializeEx(LookasideRegistry reg, long lookaside, ALLOCATE_FUNCTION_EX allocate, FREE_FUNCTION_EX free,
            int poolType, int flags, long size, int tag, int depth) {
        if (!isValidPoolType(poolType)) {
            return NtStatus.STATUS_INVALID_PARAMETER_4;
        }
        int known = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;
        if ((flags & ~known) != 0 || flags == known
                || (flags == EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE && allocate == null)) {
            return NtStatus.STATUS_INVALID_PARAMETER_5;
        }
        int type = poolType;
        if (flags == EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) {
            type |= PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE;
        } else if (flags == EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE) {
            type |= PoolType.POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
        }
        reg.ensureOpen();
        AddressSpace space = reg.addressSpace();
        LookasideRegistry.Allocator a = allocate == null ? null
                : (t, n, g, l) -> addressOf(allocate.allocate(t, n, g, space.resolve(l, LOOKASIDE_LIST_EX_SIZE)));
        LookasideRegistry.Freer f = free == null ? null
                : (b, l) -> free.free(space.resolve(b, ExSList.ENTRY_SIZE), space.resolve(l, LOOKASIDE_LIST_EX_SIZE));
        initialize(reg, lookaside, LOOKASIDE_LIST_EX_SIZE, type, size, tag,
                arena -> allocate == null ? 0 : reg.stubAllocateEx(allocate, a, arena),
                arena -> free == null ? 0 : reg.stubFreeEx(free, f, arena));
        return NtStatus.STATUS_SUCCESS;
    }

    /**
     * {@code ExInitializeNPagedLookasideList} ({@code paged == false}) and
     * {@code ExInitializePagedLookasideList} ({@code paged == true}): Flags may be 0,
     * POOL_RAISE_IF_ALLOCATION_FAILURE, and for nonpaged lists POOL_NX_ALLOCATION (Windows 8+);
     * anything else is an IllegalArgumentException (the routines return VOID).
     */
    public static void initializeLegacy(LookasideRegistry reg, long lookaside, boolean paged, ALLOCATE_FUNCTION allocate,
            FREE_FUNCTION free, int flags, long size, int tag, int depth) {
        int allowed = PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_NX_ALLOCATION;
        if ((flags & ~allowed) != 0) {
            throw new IllegalArgumentException((paged ? "ExInitializePagedLookasideList" : "ExInitializeNPagedLookasideList")
                    + ": Flags 0x" + Integer.toHexString(flags)
                    + " is not 0, POOL_RAISE_IF_ALLOCATION_FAILURE or POOL_NX_ALLOCATION");
        }
        // Paged pool is always NX: POOL_NX_ALLOCATION has no effect there (Microsoft's documentation).
        int type = paged ? PoolType.PagedPool | (flags & PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE)
                : PoolType.NonPagedPool | flags;
        reg.ensureOpen();
        AddressSpace space = reg.addressSpace();
        LookasideRegistry.Allocator a = allocate == null ? null : (t, n, g, l) -> addressOf(allocate.allocate(t, n, g));
        LookasideRegistry.Freer f = free == null ? null : (b, l) -> free.free(space.resolve(b, ExSList.ENTRY_SIZE));
        initialize(reg, lookaside, GENERAL_LOOKASIDE_SIZE, type, size, tag,
                arena -> allocate == null ? 0 : reg.stubAllocate(allocate, a, arena),
                arena -> free == null ? 0 : reg.stubFree(free, f, arena));
    }

    private interface StubMaker {
        long make(Arena arena);
    }

    private static void initialize(LookasideRegistry reg, long lookaside, long structSize, int type, long size, int tag,
            StubMaker allocateStubMaker, StubMaker freeStubMaker) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(pagedEntries(type) && structSize == GENERAL_LOOKASIDE_SIZE
                    ? Irql.APC_LEVEL : Irql.DISPATCH_LEVEL, lookaside, IrqlChecks.WRITE, "ExInitialize*LookasideList*");
        }
        checkAligned(lookaside);
        Region r = reg.addressSpace().regionOf(lookaside, structSize);
        checkStructure(reg, lookaside, structSize); // SPECIAL_POOL: the whole structure inside one live block
        if (size < LOOKASIDE_MINIMUM_BLOCK_SIZE || size > 0xFFFF_FFFFL) {
            if (Verifier.ENABLED) {
                throw reg.bugChecks().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_LOOKASIDE_BLOCK_TOO_SMALL,
                        lookaside, size, 0, "lookaside block size " + size + " is below LOOKASIDE_MINIMUM_BLOCK_SIZE (8) or above 4 GiB");
            }
            throw new IllegalArgumentException("lookaside block size " + size + " must be in [8, 0xFFFFFFFF]");
        }
        synchronized (reg) {
            if (reg.isLive(lookaside)) {
                if (Verifier.ENABLED) {
                    throw reg.bugChecks().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_LOOKASIDE_REINITIALIZED,
                            lookaside, 0, 0, "lookaside list at 0x" + Long.toHexString(lookaside) + " is initialized twice");
                }
                throw new IllegalStateException("lookaside list at 0x" + Long.toHexString(lookaside)
                        + " is already initialized: delete it first");
            }
            Arena arena = Arena.ofShared(); // closed when the list is deleted or the kernel closes (LookasideRegistry)
            try {
                long allocStub = allocateStubMaker.make(arena);
                long freeStub = freeStubMaker.make(arena);
                if (allocStub == 0) {
                    allocStub = reg.defaultAllocateStub();
                }
                if (freeStub == 0) {
                    freeStub = reg.defaultFreeStub();
                }
                MemorySegment s = r.segment();
                long o = r.offsetOf(lookaside);
                s.asSlice(o, structSize).fill((byte) 0);
                s.set(ValueLayout.JAVA_SHORT, o + DEPTH_OFFSET, (short) MINIMUM_LOOKASIDE_DEPTH);
                s.set(ValueLayout.JAVA_SHORT, o + MAXIMUM_DEPTH_OFFSET, (short) EX_MAXIMUM_LOOKASIDE_DEPTH_BASE);
                s.set(ValueLayout.JAVA_INT, o + TYPE_OFFSET, type);
                s.set(ValueLayout.JAVA_INT, o + TAG_OFFSET, tag);
                s.set(ValueLayout.JAVA_INT, o + SIZE_OFFSET, (int) size);
                s.set(ValueLayout.JAVA_LONG, o + ALLOCATE_EX_OFFSET, allocStub);
                s.set(ValueLayout.JAVA_LONG, o + FREE_EX_OFFSET, freeStub);
                ThreadState caller = ThreadState.peek();
                int owner = caller == null ? 0 : caller.driverOwner(); // the driver whose code initializes it (its unload checks it is deleted)
                reg.link(new LookasideRegistry.Live(lookaside, structSize, pagedEntries(type), arena, allocStub, freeStub, owner));
            } catch (RuntimeException | Error failed) {
                arena.close(); // nothing refers to its stubs yet: a shared arena is never freed otherwise
                throw failed;
            }
            // The monitor exit publishes the initialized fields to threads that later take the
            // registry lock; other threads get the list's address through their own synchronization.
        }
    }

    /**
     * The PoolTypes ExInitializeLookasideListEx accepts: NonPagedPool, PagedPool, their cache-aligned
     * forms, NonPagedPoolNx and NonPagedPoolNxCacheAligned (no modifier, session or MustSucceed type).
     */
    private static boolean isValidPoolType(int poolType) {
        DecodedPoolType t = DecodedPoolType.decode(poolType);
        return t != null && !t.mustSucceed() && !t.session() && !(t.nx() && t.paged())
                && (poolType & ~(t.base() | PoolType.NonPagedPoolNx)) == 0;
    }

    /** Whether a list whose Type field holds {@code type} hands out paged blocks (an undecodable Type: not paged). */
    private static boolean pagedEntries(int type) {
        DecodedPoolType t = DecodedPoolType.decode(type);
        return t != null && t.paged();
    }

    // ===== allocate / free: the hot paths =====

    /** Allocates a block: the most recently freed cached block, else a new one from the allocate routine; 0 if that fails. */
    public static long allocate(LookasideRegistry reg, long lookaside) {
        checkAligned(lookaside);
        Region r = reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        return allocate0(reg, r.segment(), r.offsetOf(lookaside), lookaside);
    }

    /**
     * The DDI form of {@link #allocate(LookasideRegistry, long)}: the block as a segment of the
     * list's Size bytes resolved in the address space, or {@link MemorySegment#NULL}. The list must lie
     * in registered memory, as for the long tier: a segment that {@linkplain #holdsList holds the list}
     * is used directly (its SLIST is checked by the shim), anything else is resolved by address.
     */
    public static MemorySegment allocateSegment(LookasideRegistry reg, MemorySegment lookaside) {
        return blockSegment(reg, lookaside, allocateBlock(reg, lookaside));
    }

    /**
     * The DDI form of {@link #free(LookasideRegistry, long, long)}: frees the block at {@code block}'s
     * address to the list {@code lookaside} (used directly when it {@linkplain #holdsList holds the list},
     * else resolved by address); the block is checked in the address space before anything changes.
     */
    public static void freeSegment(LookasideRegistry reg, MemorySegment lookaside, MemorySegment block) {
        freeBlock(reg, lookaside, argumentAddress(block));
    }

    /*
     * The DDI's segment paths are split so that the JIT can keep a returned block's segment local.
     * C2 does not inline a method it has already compiled on its own into more than InlineSmallCode
     * (2500) bytes; the old allocateSegment, which C2 compiled with the whole allocate path inlined,
     * therefore stayed a call, and the segment it returned escaped. Now:
     *   - allocateSegment and freeSegment are small enough for C1 to inline into their caller (at most
     *     35 bytes of bytecode, and max_stack + max_locals - parameter slots of at most 4 here:
     *     C1MaxInlineSize, C1InlineStackLimit; a long counts two slots, hence the segment arguments of
     *     allocateBlock and freeBlock), so they never get hot on their own and C2 never compiles them
     *     alone;
     *   - the work (allocate and free by address) sits behind allocateBlock and freeBlock, which take
     *     the caller's list segment and pass longs, and may stay out of line;
     *   - blockSegment, AddressSpace.resolve and Region.slice call nothing heavy, so even compiled
     *     alone they stay small and C2 inlines them.
     * The block's segment is then created in the caller's compilation unit, where escape analysis
     * removes it if the caller keeps it local (LookasideAllocFreeBenchmark.lookasideDdiLocal, 0 B/op).
     * Keep allocateSegment and freeSegment this small.
     */

    /**
     * The DDI's out-of-line allocate: through the caller's segment when it {@linkplain #holdsList holds
     * the list} (the trusted tier: no lookup of the list), else by address.
     */
    private static long allocateBlock(LookasideRegistry reg, MemorySegment lookaside) {
        return holdsList(lookaside) ? allocate(reg, lookaside) : allocate(reg, argumentAddress(lookaside));
    }

    /**
     * The DDI's out-of-line free: through the caller's segment when it holds the list, else by address.
     * The block is checked either way before anything changes: by the shim when it is pushed, by a
     * lookup when it goes to the free routine ({@link #free1}).
     */
    private static void freeBlock(LookasideRegistry reg, MemorySegment lookaside, long block) {
        if (holdsList(lookaside)) {
            free(reg, lookaside, block);
        } else {
            free(reg, argumentAddress(lookaside), block);
        }
    }

    /**
     * Whether a DDI argument can serve as the list's memory itself: a live, writable native segment of at
     * least LOOKASIDE_LIST_EX_SIZE bytes. Such a segment is FFM's proof that the bytes are accessible (its
     * accesses are bounds- and liveness-checked), so the list needs no address-space lookup; the SLIST at
     * its start is still checked against the address space by the shim in the same call, so a list outside
     * registered memory is refused as before (0x50 with the list's address: ListHead is at offset 0).
     * Anything else (a zero-length segment made from an address, a read-only view) takes the by-address
     * path, which resolves the list in the address space.
     */
    private static boolean holdsList(MemorySegment s) {
        return s != null && s.isNative() && s.byteSize() >= LOOKASIDE_LIST_EX_SIZE && !s.isReadOnly() && s.scope().isAlive();
    }

    /** {@code block}'s segment of the list's Size bytes (at least 1), or NULL for block 0. */
    private static MemorySegment blockSegment(LookasideRegistry reg, MemorySegment lookaside, long block) {
        return block == 0 ? MemorySegment.NULL : reg.addressSpace().resolve(block, blockBytes(reg, lookaside));
    }

    /** The list's Size as a segment length (at least 1), through the caller's segment when it holds the field. */
    private static long blockBytes(LookasideRegistry reg, MemorySegment lookaside) {
        int size = lookaside.isNative() && lookaside.byteSize() >= SIZE_OFFSET + Integer.BYTES
                ? lookaside.get(ValueLayout.JAVA_INT, SIZE_OFFSET)
                : readInt(reg, lookaside.address(), SIZE_OFFSET);
        return Math.max(size & 0xFFFF_FFFFL, 1);
    }

    /**
     * A lookaside DDI argument's address (the list or a block); Java null is refused with a
     * NullPointerException (NULL is {@link MemorySegment#NULL}).
     */
    public static long argumentAddress(MemorySegment s) {
        if (s == null) {
            throw new NullPointerException("lookaside argument is null (use MemorySegment.NULL for NULL)");
        }
        return s.address();
    }

    /**
     * The trusted tier of {@link #allocate(LookasideRegistry, long)}: {@code lookaside} is a segment
     * of the initialized list (at least LOOKASIDE_LIST_EX_SIZE bytes, 16-byte aligned) that the caller
     * holds, so no Java address-space lookup is made (the shim still checks the SLIST it pops).
     * Allocates nothing.
     */
    public static long allocate(LookasideRegistry reg, MemorySegment lookaside) {
        long address = lookaside.address();
        checkAligned(address);
        Objects.checkFromIndexSize(0, LOOKASIDE_LIST_EX_SIZE, lookaside.byteSize());
        return allocate0(reg, lookaside, 0, address);
    }

    // The hot paths (allocate0/free0 and what they inline) are kept small in bytecode: C2 inlines by
    // bytecode size, dead verifier branches included, and an allocate or free that is not inlined into
    // its caller costs more than the SLIST operation's checks. The verifier's work lives in
    // allocateVerified/freeVerified, reached only when Verifier.ENABLED (a constant) and the kernel runs a family
    // they check (reg.listChecks(), fixed at boot).

    private static long allocate0(LookasideRegistry reg, MemorySegment s, long o, long lookaside) {
        if (Verifier.ENABLED && reg.listChecks()) {
            return allocateVerified(reg, s, o, lookaside);
        }
        return allocate1(reg, s, o, lookaside, false);
    }

    /** allocate0 under the verifier: the IRQL check and, under SPECIAL_POOL, the list's block checks. */
    private static long allocateVerified(LookasideRegistry reg, MemorySegment s, long o, long lookaside) {
        boolean blockChecks = checkIrql(s, o, lookaside, "ExAllocateFrom*LookasideList*").verifies(VerifierCheck.SPECIAL_POOL);
        if (blockChecks) {
            reg.addressSpace().checkLive(lookaside, lookaside, LOOKASIDE_LIST_EX_SIZE, true); // before the counters change
        }
        return allocate1(reg, s, o, lookaside, blockChecks);
    }

    private static long allocate1(LookasideRegistry reg, MemorySegment s, long o, long lookaside, boolean blockChecks) {
        long block = ExSList.pop(reg.addressSpace(), lookaside + LIST_HEAD_OFFSET); // a corrupted cached link is 0x50
        increment(s, o + TOTAL_ALLOCATES_OFFSET); // volatile add, after the pop: see "Counters" above
        if (block == 0) {
            return allocateMiss(reg, s, o, lookaside, blockChecks);
        }
        if (blockChecks) {
            checkCachedBlock(reg, s, o, lookaside, block);
        }
        return block;
    }

    /**
     * SPECIAL_POOL: a cached block is a live (parked) block of Size bytes; anything else came from a link
     * written after the block was freed, and handing it out would give the caller a neighbour.
     */
    private static void checkCachedBlock(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block) {
        long bytes = Math.max(s.get(ValueLayout.JAVA_INT, o + SIZE_OFFSET) & 0xFFFF_FFFFL, ExSList.ENTRY_SIZE);
        Region br = reg.addressSpace().checkLive(block, block, bytes, true); // 0xD6 / 0xD5
        takeCached(reg, br, lookaside, block, "ExAllocateFrom*LookasideList*"); // 0x139 unless parked
    }

    private static long allocateMiss(LookasideRegistry reg, MemorySegment s, long o, long lookaside, boolean blockChecks) {
        increment(s, o + ALLOCATE_MISSES_OFFSET); // volatile add: as TotalAllocates
        int type = s.get(ValueLayout.JAVA_INT, o + TYPE_OFFSET);
        long size = s.get(ValueLayout.JAVA_INT, o + SIZE_OFFSET) & 0xFFFF_FFFFL;
        int tag = s.get(ValueLayout.JAVA_INT, o + TAG_OFFSET);
        long stub = s.get(ValueLayout.JAVA_LONG, o + ALLOCATE_EX_OFFSET);
        long block = reg.allocator(stub, lookaside).allocate(type, size, tag, lookaside);
        if (block == 0) {
            if ((type & PoolType.POOL_RAISE_IF_ALLOCATION_FAILURE) != 0) {
                throw new NtStatusException(NtStatus.STATUS_INSUFFICIENT_RESOURCES, "lookaside list at 0x"
                        + Long.toHexString(lookaside) + " (RAISE_ON_FAIL): the allocate routine returned NULL");
            }
            return 0;
        }
        if ((block & (ExSList.ALIGNMENT - 1)) != 0) {
            throw new DatatypeMisalignmentException("block returned by the allocate routine of lookaside list 0x"
                    + Long.toHexString(lookaside), block, ExSList.ALIGNMENT);
        }
        long bytes = Math.max(size, ExSList.ENTRY_SIZE);
        if (blockChecks) {
            reg.addressSpace().checkLive(block, block, bytes, true); // the routine's block must hold Size bytes: 0xD5/0xD6
        } else {
            reg.addressSpace().regionOf(block, bytes);
        }
        return block;
    }

    /** Frees {@code block} to the list: cached if the list holds fewer than Depth blocks, else given to the free routine. */
    public static void free(LookasideRegistry reg, long lookaside, long block) {
        checkAligned(lookaside);
        AddressSpace space = reg.addressSpace();
        Region r = space.regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        ExSList.checkAligned("lookaside block", block);
        space.regionOf(r, block, ExSList.ENTRY_SIZE); // 0x50 if unmapped; no second lookup when the block lies in the list's region
        free0(reg, r.segment(), r.offsetOf(lookaside), lookaside, block, true);
    }

    /**
     * The trusted tier of {@link #free(LookasideRegistry, long, long)}: {@code lookaside} is a segment
     * of the initialized list that the caller holds, and {@code block} one this list handed out (its
     * alignment is checked in Java, its address-space membership by the shim when it is pushed, or by a
     * lookup before it goes to the free routine).
     * Allocates nothing.
     */
    public static void free(LookasideRegistry reg, MemorySegment lookaside, long block) {
        long address = lookaside.address();
        checkAligned(address);
        Objects.checkFromIndexSize(0, LOOKASIDE_LIST_EX_SIZE, lookaside.byteSize());
        ExSList.checkAligned("lookaside block", block);
        free0(reg, lookaside, 0, address, block, false);
    }

    /** {@code resolved}: list and block were already found in the address space (the by-address tier). */
    private static void free0(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block, boolean resolved) {
        if (Verifier.ENABLED && reg.listChecks()) {
            freeVerified(reg, s, o, lookaside, block, resolved);
        } else {
            free1(reg, s, o, lookaside, block, false, resolved);
        }
    }

    /** free0 under the verifier: the IRQL check and, under SPECIAL_POOL, the freed block's checks. */
    private static void freeVerified(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block,
            boolean resolved) {
        boolean parked = false;
        if (checkIrql(s, o, lookaside, "ExFreeTo*LookasideList*").verifies(VerifierCheck.SPECIAL_POOL)) {
            reg.addressSpace().checkLive(lookaside, lookaside, LOOKASIDE_LIST_EX_SIZE, true); // before anything changes
            parked = checkFreedBlock(reg, s, o, lookaside, block);
            resolved = true; // both found live: stricter than the lookups free1 would make
        }
        free1(reg, s, o, lookaside, block, parked, resolved);
    }

    private static void free1(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block, boolean parked,
            boolean resolved) {
        int depth = s.get(ValueLayout.JAVA_SHORT, o + DEPTH_OFFSET) & 0xFFFF; // plain: written by the scan; stale is harmless
        if (ExSList.depth(s, o + LIST_HEAD_OFFSET) >= depth) {
            if (!resolved) { // the trusted tier looked up neither list nor block, and no push checks them: 0x50 before any change
                AddressSpace space = reg.addressSpace();
                space.regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
                space.regionOf(block, ExSList.ENTRY_SIZE);
            }
            increment(s, o + TOTAL_FREES_OFFSET); // volatile add: before the routine runs, as Windows counts
            freeMiss(reg, s, o, lookaside, block, parked);
        } else {
            ExSList.push(reg.addressSpace(), lookaside + LIST_HEAD_OFFSET, block); // the shim checks both addresses
            increment(s, o + TOTAL_FREES_OFFSET); // volatile add, after the push: see "Counters" above
        }
    }

    private static void freeMiss(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block, boolean parked) {
        increment(s, o + FREE_MISSES_OFFSET); // volatile add: as TotalFrees
        if (parked) {
            unpark(reg, block); // not kept: the routine gets it
        }
        freeToRoutine(reg, s, o, lookaside, block);
    }

    /**
     * The verifier's SPECIAL_POOL checks of a block freed to a list, before the list changes: the
     * block must hold the list's Size bytes inside one live block (a smaller block would later be
     * handed out as a Size-byte one: DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION 0xD6 with the first
     * byte past it; freed pool: 0xD5), and must not be in the list already (a double free would hand
     * the same block to two callers: BAD_POOL_CALLER (0x07, 0, 0, block)). A pool block is marked parked while the list holds it ({@code Pool.park}: exact, any
     * depth); a block of caller-registered memory is compared with the list's first entry (the
     * immediate double free, which would link the block to itself).
     *
     * @return whether the block was marked parked (a pool block)
     */
    private static boolean checkFreedBlock(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block) {
        long size = Math.max(s.get(ValueLayout.JAVA_INT, o + SIZE_OFFSET) & 0xFFFF_FFFFL, ExSList.ENTRY_SIZE);
        Region r = reg.addressSpace().checkLive(block, block, size, true);
        Pool pool = r.blocks() instanceof Pool p ? p : null; // a pool's chunks are registered with the pool as their BlockMap
        boolean parked = pool != null && pool.park(block);
        if (pool != null ? !parked : ExSList.firstEntry(s, o + LIST_HEAD_OFFSET) == block) {
            throw reg.bugChecks().bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, block,
                    "block 0x" + Long.toHexString(block) + " is freed to lookaside list 0x" + Long.toHexString(lookaside)
                            + ", which already holds it (a double free)");
        }
        return parked;
    }

    /** Clears the parked mark of a pool block leaving a list (no-op for other memory). */
    private static void unpark(LookasideRegistry reg, long block) {
        Pool pool = reg.pools().owning(block);
        if (pool != null) {
            pool.unpark(block);
        }
    }

    /**
     * The verifier's check of a block just popped from the list (allocate, flush, delete), in the
     * region {@code br} that holds it: a pool block must carry the parked mark a lookaside free set
     * before it pushed the block, and this call clears it (atomically: a block reached twice through
     * corrupted links is taken once). A live pool block without the mark was reached through a link
     * written after a free (a use after free, or stale memory read as a list): handing it out would
     * give the caller a block someone else owns, and a flush would free it under its owner, so it is
     * KERNEL_SECURITY_CHECK_FAILURE (0x139, FAST_FAIL_CORRUPT_LIST_ENTRY, list head, block). Memory a
     * caller registered carries no mark and is not checked here.
     */
    private static void takeCached(LookasideRegistry reg, Region br, long lookaside, long block, String routine) {
        if (br.blocks() instanceof Pool pool && !pool.unpark(block)) {
            long head = lookaside + LIST_HEAD_OFFSET;
            throw reg.bugChecks().bugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE, KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY,
                    head, block, 0, routine + ": lookaside list 0x" + Long.toHexString(lookaside) + " led to live block 0x"
                            + Long.toHexString(block) + ", which no lookaside free put there (a link written after a free)");
        }
    }

    private static void freeToRoutine(LookasideRegistry reg, MemorySegment s, long o, long lookaside, long block) {
        long stub = s.get(ValueLayout.JAVA_LONG, o + FREE_EX_OFFSET);
        reg.freer(stub, lookaside).free(block, lookaside);
    }

    /** {@code ExFlushLookasideListEx}: every cached block goes to the free routine; counters unchanged. */
    public static void flush(LookasideRegistry reg, long lookaside) {
        checkAligned(lookaside);
        freeAllCached(reg, reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE), lookaside,
                "ExFlushLookasideListEx");
    }

    /**
     * Pops every cached block of the list at {@code lookaside} (mapped by {@code r}) and hands it to
     * the list's free routine, after the verifier's IRQL check for {@code routine}: the flush, and
     * the first half of a delete.
     */
    private static void freeAllCached(LookasideRegistry reg, Region r, long lookaside, String routine) {
        MemorySegment s = r.segment();
        long o = r.offsetOf(lookaside);
        boolean blockChecks = Verifier.ENABLED && reg.listChecks()
                && checkIrql(s, o, lookaside, routine).verifies(VerifierCheck.SPECIAL_POOL);
        AddressSpace space = reg.addressSpace();
        if (blockChecks) {
            space.checkLive(lookaside, lookaside, LOOKASIDE_LIST_EX_SIZE, true); // before the list changes
        }
        long head = lookaside + LIST_HEAD_OFFSET;
        long popped = 0;
        for (long block = ExSList.pop(space, head); block != 0; block = ExSList.pop(space, head)) {
            if (++popped > MAX_FLUSHED) {
                // An SLIST's Depth is 16 bits: more entries than twice that in one flush means links that
                // lead back into the list (a block written after it was freed), which would loop for ever.
                throw reg.bugChecks().bugCheck(BugCheckCode.KERNEL_SECURITY_CHECK_FAILURE,
                        KernelCore.FAST_FAIL_CORRUPT_LIST_ENTRY, head, block, 0, "lookaside list at 0x"
                                + Long.toHexString(lookaside) + ": more than " + MAX_FLUSHED
                                + " cached blocks popped in one flush: the list's links form a cycle");
            }
            if (blockChecks) {
                // A popped link may lead anywhere: the block must be one a lookaside free parked here.
                long bytes = Math.max(s.get(ValueLayout.JAVA_INT, o + SIZE_OFFSET) & 0xFFFF_FFFFL, ExSList.ENTRY_SIZE);
                Region br = space.checkLive(block, block, bytes, true); // 0xD6 / 0xD5
                takeCached(reg, br, lookaside, block, routine); // 0x139 unless parked
            }
            freeToRoutine(reg, s, o, lookaside, block);
        }
    }

    /**
     * {@code ExDelete*LookasideList*}: removes the list from the kernel's system-wide list, then
     * frees every cached block through the free routine. Deleting a list that is not initialized is
     * DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4, 0xCB, list) under the verifier, an
     * IllegalStateException otherwise. Afterwards the caller owns (and may free) the structure.
     */
    public static void delete(LookasideRegistry reg, long lookaside) {
        checkAligned(lookaside);
        Region r = reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        synchronized (reg) {
            if (!reg.isLive(lookaside)) {
                if (Verifier.ENABLED) {
                    throw reg.bugChecks().bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, DV_LOOKASIDE_DELETE_UNINITIALIZED,
                            lookaside, 0, 0, "deleting lookaside list 0x" + Long.toHexString(lookaside) + ", which is not initialized");
                }
                throw new IllegalStateException("lookaside list at 0x" + Long.toHexString(lookaside) + " is not initialized");
            }
            // Free the cached blocks while the routines are still registered, then unlink.
            freeAllCached(reg, r, lookaside, "ExDelete*LookasideList*");
            reg.unlink(lookaside);
        }
    }

    // ===== the depth scan =====

    /** Adjusts Depth of every live list of the registry's kernel (what the periodic scan does). */
    public static void scanAll(LookasideRegistry reg) {
        reg.scanAll();
    }

    /** Turns the kernel's periodic scan thread on or off (tests that check counters turn it off). */
    public static void setPeriodicScan(LookasideRegistry reg, boolean on) {
        reg.setAutoScan(on);
    }

    /** Whether a lookaside list is initialized (and not deleted) at {@code lookaside}. */
    public static boolean isLive(LookasideRegistry reg, long lookaside) {
        return reg.isLive(lookaside);
    }

    /**
     * The first live lookaside list whose structure overlaps {@code [start, start + length)}, or 0:
     * for the pool's verifier check "freed pool contains a live lookaside list" (DV 0xC4/0xCC).
     */
    public static long liveListIn(LookasideRegistry reg, long start, long length) {
        return reg.liveIn(start, length);
    }

    /** The addresses of the live lists of the registry's kernel, in the order of its system-wide lists (nonpaged, then paged). */
    public static long[] liveLists(LookasideRegistry reg) {
        synchronized (reg) {
            long[] np = reg.walk(false);
            long[] p = reg.walk(true);
            long[] all = java.util.Arrays.copyOf(np, np.length + p.length);
            System.arraycopy(p, 0, all, np.length, p.length);
            return all;
        }
    }

    /** One list's scan step (caller holds the registry lock). */
    static void scanOne(LookasideRegistry reg, long lookaside, int scanPeriod) {
        Region r = reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        MemorySegment s = r.segment();
        long o = r.offsetOf(lookaside);
        int total = (int) COUNTER.getVolatile(s, o + TOTAL_ALLOCATES_OFFSET); // volatile: pairs with the atomic adds
        int misses = (int) COUNTER.getVolatile(s, o + ALLOCATE_MISSES_OFFSET); // volatile: as above
        long allocates = (total - s.get(ValueLayout.JAVA_INT, o + LAST_TOTAL_ALLOCATES_OFFSET)) & 0xFFFF_FFFFL;
        long missed = (misses - s.get(ValueLayout.JAVA_INT, o + LAST_ALLOCATE_MISSES_OFFSET)) & 0xFFFF_FFFFL;
        s.set(ValueLayout.JAVA_INT, o + LAST_TOTAL_ALLOCATES_OFFSET, total);
        s.set(ValueLayout.JAVA_INT, o + LAST_ALLOCATE_MISSES_OFFSET, misses);
        int depth = s.get(ValueLayout.JAVA_SHORT, o + DEPTH_OFFSET) & 0xFFFF;
        int maximum = s.get(ValueLayout.JAVA_SHORT, o + MAXIMUM_DEPTH_OFFSET) & 0xFFFF;
        s.set(ValueLayout.JAVA_SHORT, o + DEPTH_OFFSET, (short) computeDepth(depth, maximum, allocates, missed, scanPeriod));
    }

    /**
     * The new Depth of a list after a scan period (see the implementation overview for the rule):
     * {@code allocates} and {@code misses} are counted since the previous scan, {@code scanPeriod}
     * in seconds.
     */
    public static int computeDepth(int depth, int maximumDepth, long allocates, long misses, int scanPeriod) {
        long target = depth;
        if (allocates < (long) scanPeriod * MINIMUM_ALLOCATION_THRESHOLD) {
            target = Math.max(target - 10, MINIMUM_LOOKASIDE_DEPTH);
        } else {
            long ratio = misses * 1000 / allocates;
            if (ratio < 5) {
                target = Math.max(target - 1, MINIMUM_LOOKASIDE_DEPTH);
            } else {
                long delta = Math.min(ratio * Math.max(maximumDepth - target, 0) / 2000 + 5, 30);
                target = Math.min(target + delta, maximumDepth);
            }
        }
        return (int) target;
    }

    // ===== helpers =====

    /**
     * IRQL ≤ DISPATCH_LEVEL, or ≤ APC_LEVEL when the list's entries are paged (the documented rule
     * for every allocate/free/flush/delete routine); else DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1).
     */
    /**
     * Under the verifier's SPECIAL_POOL family, the {@code bytes}-byte structure at {@code lookaside}
     * must lie inside one live block (or caller-registered memory): an initialization through a
     * pointer into a block's header or its last bytes would otherwise write over the neighbours
     * (0xD6 with the first byte past the block, 0xD5 in freed memory).
     */
    private static void checkStructure(LookasideRegistry reg, long lookaside, long bytes) {
        if (Verifier.ENABLED) {
            ThreadState t = ThreadState.current();
            if (t.verifies(VerifierCheck.SPECIAL_POOL)) {
                reg.addressSpace().checkLive(lookaside, lookaside, bytes, true);
            }
        }
    }

    private static ThreadState checkIrql(MemorySegment s, long o, long lookaside, String routine) {
        boolean paged = pagedEntries(s.get(ValueLayout.JAVA_INT, o + TYPE_OFFSET));
        int max = paged ? Irql.APC_LEVEL : Irql.DISPATCH_LEVEL;
        ThreadState t = ThreadState.current();
        if (t.verifies(VerifierCheck.IRQL) && t.irql() > max) {
            IrqlChecks.requireAtMost(t, max, lookaside, IrqlChecks.WRITE, routine); // raises the bug check
        }
        return t; // the caller's other verifier checks use the same thread state (one lookup)
    }

    private static long addressOf(MemorySegment block) {
        return block == null ? 0 : block.address();
    }

    private static void checkAligned(long lookaside) {
        if (lookaside == 0) {
            throw new IllegalArgumentException("lookaside list is NULL");
        }
        if ((lookaside & (ALIGNMENT - 1)) != 0) {
            throw new DatatypeMisalignmentException("lookaside list", lookaside, ALIGNMENT);
        }
    }

    /** The list's block Size (GENERAL_LOOKASIDE's ULONG Size). */
    public static long blockSize(LookasideRegistry reg, long lookaside) {
        return readInt(reg, lookaside, SIZE_OFFSET) & 0xFFFF_FFFFL;
    }

    /** A field as a bounded segment read: for tests and tools that inspect a list. */
    /**
     * Adds the list's TotalAllocates, AllocateMisses, TotalFrees and FreeMisses (unsigned, volatile
     * reads: they pair with the atomic adds) to {@code into[row + LookasideRegistry.TOTAL_ALLOCATES ...]}.
     */
    static void addCounters(LookasideRegistry reg, long lookaside, long[] into, int row) {
        Region r = reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        MemorySegment s = r.segment();
        long o = r.offsetOf(lookaside);
        into[row + LookasideRegistry.TOTAL_ALLOCATES] += (int) COUNTER.getVolatile(s, o + TOTAL_ALLOCATES_OFFSET) & 0xFFFF_FFFFL;
        into[row + LookasideRegistry.ALLOCATE_MISSES] += (int) COUNTER.getVolatile(s, o + ALLOCATE_MISSES_OFFSET) & 0xFFFF_FFFFL;
        into[row + LookasideRegistry.TOTAL_FREES] += (int) COUNTER.getVolatile(s, o + TOTAL_FREES_OFFSET) & 0xFFFF_FFFFL;
        into[row + LookasideRegistry.FREE_MISSES] += (int) COUNTER.getVolatile(s, o + FREE_MISSES_OFFSET) & 0xFFFF_FFFFL;
    }

    static int readInt(LookasideRegistry reg, long lookaside, long offset) {
        Region r = reg.addressSpace().regionOf(lookaside, LOOKASIDE_LIST_EX_SIZE);
        return r.segment().get(ValueLayout.JAVA_INT, r.offsetOf(lookaside) + offset);
    }

    // ===== VarHandle mechanics =====

    /** Interlocked increment of a ULONG counter (volatile-mode getAndAdd: a full barrier, as InterlockedIncrement). */
    private static void increment(MemorySegment s, long offset) {
        int unused = (int) COUNTER.getAndAdd(s, offset, 1);
    }

    /** The ULONG counters TotalAllocates, AllocateMisses, TotalFrees, FreeMisses: coordinates (MemorySegment, long offset). */
    private static final VarHandle COUNTER = ValueLayout.JAVA_INT.varHandle().withInvokeExactBehavior();
}
