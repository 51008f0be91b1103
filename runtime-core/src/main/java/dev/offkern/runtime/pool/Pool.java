package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_CACHE_ALIGNED;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_RAISE_ON_FAILURE;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_UNINITIALIZED;

import dev.offkern.nt.NtStatus;
import dev.offkern.layout.StructSpec;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.BlockMap;
import dev.offkern.runtime.verifier.BugCheckSink;
import dev.offkern.nt.NtStatusException;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.LiveObjects;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * One of a kernel's two pools (non-paged or paged): an arena allocator over large off-heap chunks
 * that stay mapped for the pool's lifetime, with Windows' block format, per-tag accounting, a size
 * limit and the verifier's checks. A kernel's two pools live in its {@link Pools}, which holds the
 * DDI's pool policy (flag validation, POOL_TYPE decoding, the legacy routines' verifier checks) and
 * calls here; {@code dev.offkern.ddi.Ex} delegates to it. Usable as a
 * {@link SegmentAllocator} (tag {@link #SEGMENT_ALLOCATOR_TAG}, zeroed memory).
 *
 * <p>Blocks: a request of up to 4064 bytes (4016 cache-aligned) is a <em>small block</em>: a
 * byte-exact x64 {@code POOL_HEADER} (PreviousSize, PoolIndex 0, BlockSize in 16-byte units,
 * PoolType = base POOL_TYPE + 1 (| 4 when cache-aligned, as NonPagedPoolCacheAligned is 4) while
 * allocated and 0 once freed, PoolTag, ProcessBilled 0) sits 16 bytes before the payload, which is
 * 16-byte aligned (64 with POOL_FLAG_CACHE_ALIGNED) and never crosses a page. A larger request is a
 * <em>large block</em>: whole pages, page aligned, no header, its bookkeeping out of line (as
 * Windows' big-page table). Memory is zeroed unless POOL_FLAG_UNINITIALIZED.
 *
 * <p>Always-on checks (cheap, and they keep the pool's own lists intact): freeing an address that
 * is no block start ({@code BAD_POOL_CALLER} 0x42/0x46), a block already free (0x07), a wrong tag
 * (0x0A), a corrupted header ({@code BAD_POOL_HEADER} 0x05/0x07). Verifier checks (under
 * {@link Verifier#ENABLED} and the kernel's POOL family): IRQL on allocate (0x08) and free (0x09), zero-byte requests (0x00), and
 * an overrun past the requested size into the block's slack, found at free by a guard pattern
 * ({@code BAD_POOL_HEADER} 0x21), and freeing a block a lookaside list still holds
 * ({@code BAD_POOL_CALLER} 0x07; see {@link #park}). See each method for the parameters. For the
 * verifier's SPECIAL_POOL family the pool answers, as a {@link BlockMap}, where the live block
 * holding an address ends ({@link #liveBytesAt}); docs/memory-checks.md lists every check.
 *
 * <p>Progress: small-block allocate and free are lock-free (wait-free while the thread's cache
 * serves them); refilling from a new page and large blocks take the page allocator's monitor.
 * IRQL: see {@link #allocate}.
 */
public final class Pool implements SegmentAllocator, BlockMap, AutoCloseable {

    /* Implementation overview
     *
     * Three tiers, as in tcache/magazine allocators: each thread has a ThreadCache (a stack of up to
     * 32 free blocks per size class); when it is empty the thread pops a batch of 16 from the pool's
     * lock-free FreeLists; when those are empty it carves a fresh 4 KiB page (PageAllocator, under a
     * monitor) into blocks of the class, headers written. A thread whose stack is full spills 16
     * blocks as one batch. So the fast path touches no shared word at all, and the shared word is
     * touched once per 16 blocks: why the free lists are lock-free batch stacks rather than
     * per-class locks (a lock would cost as much as the CAS and could convoy).
     *
     * Pages never go back from a size class to the page allocator: the footprint is bounded by the
     * peak of each class, and a loop of alloc/free of one size reuses the same blocks forever. The
     * segregated classes (allocateSegregated: the Thread objects) take pages from chunks of their own,
     * so their memory never held, and never will hold, any other block; those chunks stay mapped past
     * the pool's close while pinned (pinSegregatedMemory: the thread states' unchecked KTHREAD stores).
     *
     * A refill follows the batch links stored in free blocks, which a caller's write through a stale
     * pointer may have changed: it checks every link (a free block of the class, at most BATCH of
     * them) before it hands any block out, and a bad one is BAD_POOL_HEADER 0x19/3. Blocks
     * parked in a dead thread's cache are drained back to the free lists before a new chunk is
     * mapped (reclaimDeadCaches).
     *
     * The block's requested size lives out of line (Chunk.info, one int per granule with the parked
     * mark and the driver owner, written by one store), so the header keeps Windows' bytes and
     * segmentOf can bound the segment exactly. The tag accounting is per thread (ThreadCache's
     * TagCount objects) and summed by the reports: no shared counter on the fast path.
     *
     * The fast paths read their state one load from the thread's cache: the class's ClassStack (its
     * stack and the class's stride and free Ulong1), the tag memo's TagCount, and copies of the last
     * chunk's base, size, segment, page table and info array. Each level of indirection removed
     * (cache -> chunk -> field, cache -> stacks -> stack, static tables) measured in the DDI pair:
     * docs/performance.md "Pool", session 27.
     *
     * The calling thread's cache is found through a table indexed by thread id (mod 1024) whose
     * entries are checked against their final owner field, then a map the pool holds (caches): a
     * ThreadLocal lookup cost more than the rest of an allocation, and would leave a closed pool's
     * caches in long-lived threads. Entries of ended threads stay in the table (and keep their Thread
     * reachable) until another thread with the same index replaces them.
     *
     * Freeing validates the address against the chunk's page table before reading anything, so a
     * bad pointer is a bug check and never a read or write outside pool memory. Double-free and
     * header checks read and write the header with plain accesses: two threads freeing the same
     * block at the same instant is a caller bug Windows does not catch atomically either.
     */

    /** The largest request {@link #allocateSegregated} serves: a small block's. */
    public static final long MAX_SEGREGATED_BYTES = SizeClasses.MAX_SMALL;
    /** The tag {@link SegmentAllocator#allocate(long, long)} uses: "OkSa". */
    public static final int SEGMENT_ALLOCATOR_TAG = PoolTags.tag("OkSa");
    /** Byte written into a block's slack under the verifier and checked at free. */
    static final byte GUARD = (byte) 0xFD;

    /** The owning kernel's bug-check path. */
    private final BugCheckSink bugChecks;
    /** The kernel runs the verifier's POOL family (gated by {@link Verifier#ENABLED} as well). */
    private final boolean verify;
    private final long limit;
    private final int poolType;
    private final String name;
    private final PageAllocator pages;
    private final FreeLists freeLists;
    private final TagTable tags = new TagTable();
    /**
     * Each thread's cache of this pool. The pool holds them, not the threads (a {@code ThreadLocal} would
     * leave a closed pool's caches, and the chunks they point at, in a long-lived thread's map): nothing
     * outside the pool needs clearing when it closes. Never shrinks: the reports sum every cache that ever
     * counted, and the reclaim path drains the dead threads' stacks (both iterate {@code values()}, weakly
     * consistent: a cache made during the walk may be missed, as a thread's first allocation racing a report).
     */
    private final ConcurrentHashMap<Thread, ThreadCache> caches = new ConcurrentHashMap<>();
    /** Thread id (mod 1024) to that thread's cache: a racy hint in front of {@link #caches} (plain accesses, owner checked). */
    private final ThreadCache[] cacheByThreadId = new ThreadCache[1024];
    private final Long2ObjectHashMap<LargeBlock> large = new Long2ObjectHashMap<>();
    private final Object reclaimLock = new Object();
    /**
     * The verifier's registry of armed timers and queued DPCs that a free consults
     * (TIMER_OR_DPC_INVALID, 0xC7), or null (the kernel does not run the DPC family). Set once at boot.
     */
    private volatile LiveObjects liveObjects;
    /** Where the verifier reads the caller's IRQL: null for the calling thread's state ({@link ThreadState#current()}); tests inject their own. */
    private volatile IntSupplier irqlSource;
    private volatile boolean closed;
    /** Ulong1's PoolType field of an allocated block (POOL_TYPE + 1), and of a cache-aligned one. */
    private final int allocated;
    private final int allocatedCacheAligned;

    /** A large block's out-of-line bookkeeping. */
    private record LargeBlock(long address, long pages, long requested, int tag, int owner) {
    }

    /**
     * Creates a pool (the kernel does this at boot).
     *
     * @param poolType  {@link PoolType#NonPagedPool} or {@link PoolType#PagedPool}
     * @param limit     bytes of chunks the pool may map in all
     * @param chunkSize bytes per chunk
     * @param verify    run the verifier's POOL checks (when {@link Verifier#ENABLED})
     */
    public Pool(AddressSpace addressSpace, BugCheckSink bugChecks, int poolType, long limit, long chunkSize, boolean verify) {
        if (poolType != PoolType.NonPagedPool && poolType != PoolType.PagedPool) {
            throw new IllegalArgumentException("a pool is NonPagedPool (0) or PagedPool (1), not " + poolType);
        }
        this.bugChecks = bugChecks;
        this.verify = verify;
        this.limit = limit;
        this.poolType = poolType;
        this.name = poolType == PoolType.PagedPool ? "PagedPool" : "NonPagedPool";
        this.allocated = PoolHeader.ulong1(0, 0, 0, typeCode(false));
        this.allocatedCacheAligned = PoolHeader.ulong1(0, 0, 0, typeCode(true));
        this.pages = new PageAllocator(name, addressSpace, limit, chunkSize, this);
        this.freeLists = new FreeLists(pages);
    }

    /**
     * Makes every later free check, under the verifier, that the block holds no armed timer and no
     * queued DPC ({@link LiveObjects#checkFree}: TIMER_OR_DPC_INVALID 0xC7 with P1 0 or 1, the
     * object, the block's start and end). Null turns the check off. Called once at boot.
     */
    public void checkTimersAndDpcsOnFree(LiveObjects registry) {
        this.liveObjects = registry;
    }

    /** {@link PoolType#NonPagedPool} or {@link PoolType#PagedPool}. */
    public int poolType() {
        return poolType;
    }

    /** "NonPagedPool" or "PagedPool". */
    public String name() {
        return name;
    }

    /**
     * Allocates a block of {@code bytes} tagged {@code tag}.
     *
     * <p>IRQL: ≤ APC_LEVEL for the paged pool, ≤ DISPATCH_LEVEL for the non-paged pool (verifier:
     * {@code BAD_POOL_CALLER} (0x08, IRQL, pool type, bytes)). Zero bytes (verifier:
     * {@code BAD_POOL_CALLER} (0x00, 0, pool type, tag); without the verifier a minimal block).
     *
     * @param flags POOL_FLAG_UNINITIALIZED, POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_RAISE_ON_FAILURE
     *              (others ignored here: the DDI layer validates them)
     * @return the payload's address, or 0 when the pool's limit is reached or {@code bytes} is negative
     * @throws NtStatusException STATUS_INSUFFICIENT_RESOURCES instead of returning 0, with
     *                           POOL_FLAG_RAISE_ON_FAILURE
     */
    public long allocate(long bytes, int tag, long flags) {
        return allocate(cache(), bytes, tag, flags, false, false);
    }

    /**
     * {@link #allocate(long, int, long)} from <em>segregated</em> memory: a small block of a class
     * whose pages hold nothing else ({@link SizeClasses#segregatedClassFor}), carved from the segregated
     * chunks, which hold nothing else ({@link PageAllocator#allocateSegregatedPage}), so the block's memory
     * has never been, and will never be, any other allocation's — type-stable memory for kernel
     * objects (the Thread objects, whose ETHREAD is every thread's KTHREAD) that a caller's stale
     * pointer to a block it freed must never name. Same header, tag, accounting, checks and frees
     * as any block.
     *
     * @throws IllegalArgumentException if {@code bytes} is more than {@link #MAX_SEGREGATED_BYTES}
     */
    public long allocateSegregated(long bytes, int tag) {
        if (SizeClasses.segregatedClassFor(Math.max(1, bytes)) < 0) {
            throw new IllegalArgumentException("segregated pool memory holds small blocks (up to " + SizeClasses.MAX_SMALL
                    + " bytes), not " + bytes);
        }
        return allocate(cache(), bytes, tag, 0, false, true);
    }

    /**
     * {@link #allocate(long, int, long)} on behalf of a driver's own call (ExAllocatePool2 and
     * family): the block is attributed to the driver whose code the calling thread runs
     * ({@link #setThreadOwner}), as Driver Verifier's pool tracking attributes the allocations a
     * driver makes itself (not those the kernel makes while serving it).
     */
    public long allocateForDriver(long bytes, int tag, long flags) {
        return allocate(cache(), bytes, tag, flags, true, false);
    }

    /**
     * {@link #allocate(long, int, long)} (or, with {@code driver}, {@link #allocateForDriver})
     * returning a segment over exactly the requested bytes (one byte for a request of 0), or
     * {@link MemorySegment#NULL} where that returns 0: what ExAllocatePool2 hands out. The segment is
     * sliced from the block's chunk, which the allocation has just found, instead of being looked up
     * again as {@link #segmentOf} would.
     */
    public MemorySegment allocateSegment(long bytes, int tag, long flags, boolean driver) {
        return allocateSegment(cache(), bytes, tag, flags, driver);
    }

    /**
     * {@link #allocateSegment(long, int, long, boolean)} with the calling thread's cache {@code tc} of
     * this pool already found: the DDI's path ({@link ThreadPools}), which makes no lookup of its own.
     */
    MemorySegment allocateSegment(ThreadCache tc, long bytes, int tag, long flags, boolean driver) {
        long p = allocate(tc, bytes, tag, flags, driver, false);
        if (p == 0) {
            return MemorySegment.NULL;
        }
        if (!tc.inChunk(p)) { // a large block: allocate() made a small block's chunk the thread's last
            Chunk c = chunkOfNew(p);
            return c.segment.asSlice(p - c.base, Math.max(bytes, 1));
        }
        return tc.chunkSegment.asSlice(p - tc.chunkBase, Math.max(bytes, 1));
    }

    private long allocate(ThreadCache tc, long bytes, int tag, long flags, boolean attribute, boolean segregated) {
        ensureOpen();
        if (Verifier.ENABLED && verify) {
            verifyAllocate(bytes, tag);
        }
        if (bytes <= 0) {
            if (bytes < 0) {
                return failed(bytes, flags);
            }
            bytes = 1;
        }
        boolean cacheAligned = (flags & POOL_FLAG_CACHE_ALIGNED) != 0;
        int cls = segregated ? SizeClasses.segregatedClassFor(bytes) : SizeClasses.classFor(bytes, cacheAligned);
        if (cls < 0) {
            return allocateLarge(tc, bytes, tag, flags, attribute);
        }
        ClassStack cs = tc.stack(cls);
        long p = cs.depth != 0 ? cs.pop() : refill(tc, cls);
        if (p == 0) {
            return failed(bytes, flags);
        }
        if (!tc.inChunk(p)) {
            tc.useChunk(chunkOfNew(p));
        }
        // The thread's last chunk, from the cache's copies of its fields (see ThreadCache).
        MemorySegment s = tc.chunkSegment;
        int[] info = tc.chunkInfo;
        long off = p - tc.chunkBase;
        int stride = cs.stride;
        int headerInPage = (int) ((off - PoolHeader.SIZE) & (SizeClasses.PAGE_SIZE - 1));
        int ulong1 = cs.freeUlong1(headerInPage) | (cacheAligned ? allocatedCacheAligned : allocated);
        // Ulong1 and PoolTag in one little-endian store; ProcessBilled stays 0 from carvePage (no quota).
        PoolHeader.writeWord(s, off, PoolHeader.word(ulong1, tag));
        char owner = attribute ? tc.driverOwner : 0;
        // Requested size and owner, the parked mark cleared; plain: read only while the block is allocated
        info[(int) (off >>> SizeClasses.UNIT_SHIFT)] = owner << Chunk.OWNER_SHIFT | (int) bytes;
        if ((flags & POOL_FLAG_UNINITIALIZED) == 0) {
            BlockZero.zero(s, off, bytes); // may zero the rest of the last granule: the block's own bytes
        }
        if (Verifier.ENABLED && verify) {
            fillGuard(s, off + bytes, stride - SizeClasses.HEADER - bytes);
        }
        tc.countAlloc(tags, tag & ~PoolTags.PROTECTED_POOL, stride, owner);
        return p;
    }

    /**
     * Frees the block at {@code address}.
     *
     * <p>Checks, in order, each a bug check thrown to the caller:
     * <ul>
     *   <li>IRQL above APC_LEVEL (paged) / DISPATCH_LEVEL (non-paged), verifier:
     *       {@code BAD_POOL_CALLER} (0x09, IRQL, pool type, address);</li>
     *   <li>address in no chunk of this pool: {@code BAD_POOL_CALLER} (0x42, address, 0, 0);</li>
     *   <li>address in the pool but not the start of a block (inside one, or in a page no block is
     *       carved from): {@code BAD_POOL_CALLER} (0x46, address, 0, 0);</li>
     *   <li>block already free: {@code BAD_POOL_CALLER} (0x07, 0, header's first 8 bytes, address);
     *       for a large block (no header) P3 is 0;</li>
     *   <li>header's BlockSize not the page's size class: {@code BAD_POOL_HEADER} (0x07, 0, header's
     *       first 8 bytes, header address); PreviousSize inconsistent: {@code BAD_POOL_HEADER}
     *       (0x05, header address, 0, previous header address); PoolIndex not 0:
     *       {@code BAD_POOL_CALLER} (0x01, header address, header's first 8 bytes, 0);</li>
     *   <li>{@code tag} not 0 and not the block's tag, or the block's tag has
     *       {@link PoolTags#PROTECTED_POOL} and {@code tag} differs: {@code BAD_POOL_CALLER}
     *       (0x0A, address, block's tag, tag);</li>
     *   <li>verifier: a byte between the requested size and the block's end changed (an overrun):
     *       {@code BAD_POOL_HEADER} (0x21, address, bytes requested, the first changed 8-byte word
     *       found after the block's end as little-endian bytes read from that position).</li>
     * </ul>
     * Nothing is changed when a check fails.
     *
     * @param tag the tag the block was allocated with, or 0 not to check it (ExFreePool)
     */
    public void free(long address, int tag) {
        ensureOpen();
        if (Verifier.ENABLED && verify) {
            verifyFree(address);
        }
        ThreadCache tc = cache();
        if (!useChunkOf(tc, address)) {
            ensureOpen(); // close() unmapped the pool since the check above: say so, not "not in the pool"
            throw notInPool(address);
        }
        free(tc, address, tag);
    }

    /**
     * {@link #free} for an address that may belong to another pool: false, with nothing checked or
     * changed, when {@code address} lies in none of this pool's chunks; otherwise the block is freed
     * with every check of {@link #free} (IRQL first, under the verifier) and the result is true. The
     * kernel's {@link Pools#free} asks its two pools in turn, so that ExFreePoolWithTag finds the
     * block's chunk once (usually the chunk the thread used last) instead of searching both pools.
     */
    boolean tryFree(long address, int tag) {
        return tryFree(cache(), address, tag);
    }

    /**
     * {@link #tryFree(long, int)} with the calling thread's cache {@code tc} of this pool already found
     * (the DDI's path, {@link ThreadPools}).
     */
    boolean tryFree(ThreadCache tc, long address, int tag) {
        ensureOpen();
        if (!useChunkOf(tc, address)) {
            return false;
        }
        if (Verifier.ENABLED && verify) {
            verifyFree(address);
        }
        free(tc, address, tag);
        return true;
    }

    /**
     * Makes the chunk of {@code address} the thread's last chunk (usually it already is); false, with
     * nothing changed, if {@code address} is in none of the pool's chunks.
     */
    private boolean useChunkOf(ThreadCache tc, long address) {
        if (tc.inChunk(address)) {
            return true;
        }
        Chunk c = pages.chunkOf(address);
        if (c == null) {
            return false;
        }
        tc.useChunk(c);
        return true;
    }

    /** Frees the block at {@code address}, in the thread's last chunk ({@link #useChunkOf}). */
    private void free(ThreadCache tc, long address, int tag) {
        long off = address - tc.chunkBase;
        MemorySegment s = tc.chunkSegment;
        short[] pageKind = tc.chunkPageKind;
        if ((off & (SizeClasses.PAGE_SIZE - 1)) == 0) {
            freeLarge(tc, tc.chunk, address, tag);
            return;
        }
        int cls = pageKind[(int) (off >>> SizeClasses.PAGE_SHIFT)];
        if (!SizeClasses.isBlockStart(cls, (int) (off & (SizeClasses.PAGE_SIZE - 1)))) {
            throw notABlock(address);
        }
        ClassStack cs = tc.stack(cls);
        long head = PoolHeader.readWord(s, off); // Ulong1 and PoolTag in one read
        int ulong1 = PoolHeader.ulong1Of(head);
        int stride = cs.stride;
        int headerInPage = (int) ((off - PoolHeader.SIZE) & (SizeClasses.PAGE_SIZE - 1));
        int expected = cs.freeUlong1(headerInPage);
        if ((ulong1 & ~PoolHeader.POOL_TYPE_FIELD) != expected || (ulong1 & PoolHeader.POOL_TYPE_FIELD) == 0) {
            checkHeader(s, off, cls, ulong1, address); // throws the precise bug check
        }
        int blockTag = PoolHeader.tagOf(head);
        if (tag != blockTag && (tag != 0 || blockTag < 0)) { // blockTag < 0: PROTECTED_POOL is bit 31
            checkTag(address, blockTag, tag); // throws
        }
        if (Verifier.ENABLED && verify) {
            int mark = tc.chunkInfo[(int) (off >>> SizeClasses.UNIT_SHIFT)];
            if ((mark & Chunk.PARKED) != 0) {
                throw parkedFree(address, PoolHeader.readWord(s, off));
            }
            int requested = Chunk.requested(mark);
            checkGuard(s, off, requested, stride - SizeClasses.HEADER - requested, address);
        }
        if (Verifier.ENABLED) {
            LiveObjects live = liveObjects;
            if (live != null) {
                live.checkFree(address, stride - SizeClasses.HEADER); // 0xC7 if an armed timer or queued DPC is inside
            }
        }
        PoolHeader.writeUlong1(s, off, expected); // PoolType = 0: free
        tc.countFree(tags, blockTag & ~PoolTags.PROTECTED_POOL, stride);
        if (cs.depth == ThreadCache.CAPACITY) {
            spill(tc, cls);
        }
        cs.push(address);
    }

    /**
     * A segment over exactly the block's requested bytes.
     *
     * @throws IllegalArgumentException if {@code address} is not an allocated block of this pool
     */
    public MemorySegment segmentOf(long address) {
        Chunk c = pages.chunkOf(address);
        if (c == null) {
            ensureOpen(); // after close() nothing is mapped: say the kernel was closed
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is not in " + name);
        }
        long off = address - c.base;
        if ((off & (SizeClasses.PAGE_SIZE - 1)) == 0) {
            LargeBlock b;
            synchronized (large) {
                b = large.get(address);
            }
            if (b == null) {
                throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is not an allocated " + name + " block");
            }
            return c.segment.asSlice(off, b.requested());
        }
        int cls = c.pageKind[(int) (off >>> SizeClasses.PAGE_SHIFT)];
        if (cls <= 0 || !SizeClasses.isBlockStart(cls, (int) (off & (SizeClasses.PAGE_SIZE - 1)))
                || PoolHeader.poolType(PoolHeader.readUlong1(c.segment, off)) == 0) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is not an allocated " + name + " block");
        }
        return c.segment.asSlice(off, Chunk.requested(c.info[(int) (off >>> SizeClasses.UNIT_SHIFT)]));
    }

    /** Whether {@code address} lies in one of this pool's chunks. */
    public boolean owns(long address) {
        return pages.chunkOf(address) != null;
    }

    /**
     * A zeroed block for one {@code spec} structure, aligned to {@code spec.align()} (16 covers every
     * pool block; 64 comes from a cache-aligned class; up to 4096 from a page-aligned large block).
     *
     * @throws NtStatusException STATUS_INSUFFICIENT_RESOURCES when the pool is exhausted
     * @throws IllegalArgumentException for an alignment above a page
     */
    public MemorySegment allocateStruct(StructSpec spec, int tag) {
        return allocateSegment(spec.size(), spec.align(), tag);
    }

    /** {@link SegmentAllocator}: a zeroed block tagged {@link #SEGMENT_ALLOCATOR_TAG}. */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return allocateSegment(byteSize, byteAlignment, SEGMENT_ALLOCATOR_TAG);
    }

    /** A {@link SegmentAllocator} over this pool that tags its blocks {@code tag}. */
    public SegmentAllocator allocator(int tag) {
        return (size, align) -> allocateSegment(size, align, tag);
    }

    private MemorySegment allocateSegment(long size, long align, int tag) {
        if (align <= 0 || (align & (align - 1)) != 0 || align > SizeClasses.PAGE_SIZE) {
            throw new IllegalArgumentException("pool blocks align to 16, 64 or 4096 bytes, not " + align);
        }
        long bytes = Math.max(size, 1);
        long p;
        if (align > SizeClasses.CACHE_LINE) {
            p = allocateLarge(cache(), bytes, tag, POOL_FLAG_RAISE_ON_FAILURE, false);
        } else {
            p = allocate(bytes, tag, POOL_FLAG_RAISE_ON_FAILURE | (align > SizeClasses.UNIT ? POOL_FLAG_CACHE_ALIGNED : 0));
        }
        Chunk c = chunkOfNew(p);
        return c.segment.asSlice(p - c.base, size);
    }

    // ----- the verifier's view of blocks (BlockMap) and lookaside parking -----

    /**
     * {@link BlockMap}: bytes from {@code address} to the end of the requested size of the live
     * block holding it; {@link BlockMap#FREED} in a free block or page; {@link BlockMap#OUTSIDE} in
     * a POOL_HEADER, a page's unused tail or a block's slack past its requested size. Reads the
     * pool's own bookkeeping and the block's header; no lock except the large-block table's.
     */
    @Override
    public long liveBytesAt(long address) {
        Chunk c = pages.chunkOf(address);
        if (c == null) {
            return OUTSIDE;
        }
        long off = address - c.base;
        int page = (int) (off >>> SizeClasses.PAGE_SHIFT);
        int kind = c.pageKind[page];
        if (kind > 0) {
            int inPage = (int) (off & (SizeClasses.PAGE_SIZE - 1));
            int first = SizeClasses.firstHeader(kind);
            int stride = SizeClasses.stride(kind);
            if (inPage < first || (inPage - first) / stride >= SizeClasses.blocksPerPage(kind)) {
                return OUTSIDE; // the fragment before a cache-aligned page's first header, or the page's tail
            }
            long payload = off - inPage + first + (long) ((inPage - first) / stride) * stride + PoolHeader.SIZE;
            if (off < payload) {
                return OUTSIDE; // inside the block's POOL_HEADER
            }
            if (PoolHeader.poolType(PoolHeader.readUlong1(c.segment, payload)) == 0) {
                return FREED;
            }
            long end = payload + Chunk.requested(c.info[(int) (payload >>> SizeClasses.UNIT_SHIFT)]);
            return end > off ? end - off : OUTSIDE;
        }
        if (kind == Chunk.PAGE_LARGE || kind == Chunk.PAGE_LARGE_TAIL) {
            long head = c.base + ((long) c.largeHead[page] << SizeClasses.PAGE_SHIFT);
            LargeBlock b;
            synchronized (large) {
                b = large.get(head);
            }
            if (b == null) {
                return FREED;
            }
            long end = head + b.requested();
            return end > address ? end - address : OUTSIDE;
        }
        return FREED; // a free page, or the first page of a freed large block
    }

    /**
     * Marks the live block at {@code address} as parked in a lookaside list (the verifier's double-free
     * detection for lookaside lists); false if it already was. Atomic: of two threads parking one
     * block at once, exactly one succeeds. The mark is cleared by {@link #unpark} and by any new
     * allocation of the block; {@link #free} refuses a parked block.
     *
     * @param address a unit-aligned address in this pool (a block start, or inside a block a custom
     *                allocate routine carved)
     */
    public boolean park(long address) {
        Chunk c = pages.chunkOf(address);
        if (c == null) {
            throw closedDuring("a lookaside free");
        }
        int i = (int) ((address - c.base) >>> SizeClasses.UNIT_SHIFT);
        for (;;) {
            int v = (int) MARKS.getVolatile(c.info, i); // volatile: pairs with the CAS of a racing park/unpark
            if ((v & Chunk.PARKED) != 0) {
                return false;
            }
            if (MARKS.compareAndSet(c.info, i, v, v | Chunk.PARKED)) { // volatile CAS: the parking point
                return true;
            }
        }
    }

    /**
     * Clears the mark {@link #park} set (the block leaves the lookaside list). Atomic test-and-clear:
     * of two threads unparking one block at once, exactly one sees it parked.
     *
     * @return whether the block was parked (false: no lookaside free put it where it was found, or
     *         another thread took it first)
     */
    public boolean unpark(long address) {
        Chunk c = pages.chunkOf(address);
        if (c == null) {
            throw closedDuring("a lookaside operation");
        }
        int i = (int) ((address - c.base) >>> SizeClasses.UNIT_SHIFT);
        for (;;) {
            int v = (int) MARKS.getVolatile(c.info, i); // volatile: as in park()
            if ((v & Chunk.PARKED) == 0) {
                return false;
            }
            if (MARKS.compareAndSet(c.info, i, v, v & ~Chunk.PARKED)) { // volatile CAS: the unparking point
                return true;
            }
        }
    }

    /** Whether {@link #park} marked the block at {@code address} and nothing cleared it since. */
    public boolean isParked(long address) {
        Chunk c = pages.chunkOf(address);
        return c != null && ((int) MARKS.getVolatile(c.info, (int) ((address - c.base) >>> SizeClasses.UNIT_SHIFT))
                & Chunk.PARKED) != 0; // volatile: as in park()
    }

    private RuntimeException parkedFree(long address, long headerContents) {
        return bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, headerContents, address,
                name + " block 0x" + Long.toHexString(address) + " is freed while a lookaside list still holds it"
                        + " (it was already freed to the list)");
    }

    /**
     * The chunk of {@code p}, a block or page run of this pool the call holds (just taken, being
     * linked or freed): never null unless {@code close()} unmapped the pool meanwhile
     * (Kernel.close() on another thread), which the call then reports as such instead of a
     * NullPointerException.
     */
    private Chunk chunkOfNew(long p) {
        Chunk c = pages.chunkOf(p);
        if (c == null) {
            throw closedDuring("the allocation");
        }
        return c;
    }

    /** The error of a call whose block's chunk {@code close()} unmapped under it (Kernel.close() on another thread). */
    private IllegalStateException closedDuring(String what) {
        return new IllegalStateException("this offkern kernel is closed: Kernel.close() unmapped " + name + " during " + what);
    }

    // ----- large blocks -----

    private long allocateLarge(ThreadCache tc, long bytes, int tag, long flags, boolean attribute) {
        if (bytes > pages.maxRunBytes()) {
            // More than the pool could ever hold in one run: fail before any page or chunk is touched
            // (and before the page count below could overflow).
            return failed(bytes, flags);
        }
        long count = (bytes >>> SizeClasses.PAGE_SHIFT) + ((bytes & (SizeClasses.PAGE_SIZE - 1)) != 0 ? 1 : 0);
        long p = pages.allocatePages(count, Chunk.PAGE_LARGE);
        if (p == 0) {
            reclaimDeadCaches();
            p = pages.allocatePages(count, Chunk.PAGE_LARGE);
            if (p == 0) {
                return failed(bytes, flags);
            }
        }
        Chunk c = chunkOfNew(p);
        long off = p - c.base;
        if ((flags & POOL_FLAG_UNINITIALIZED) == 0) {
            c.segment.asSlice(off, bytes).fill((byte) 0);
        }
        long slack = (count << SizeClasses.PAGE_SHIFT) - bytes;
        if (Verifier.ENABLED && verify && slack > 0) {
            c.segment.asSlice(off + bytes, slack).fill(GUARD);
        }
        c.info[(int) (off >>> SizeClasses.UNIT_SHIFT)] = 0; // not parked (a large block's size and owner are in its LargeBlock)
        char owner = attribute ? tc.driverOwner : 0;
        synchronized (large) {
            large.put(p, new LargeBlock(p, count, bytes, tag, owner));
        }
        tc.countAlloc(tags, tag & ~PoolTags.PROTECTED_POOL, count << SizeClasses.PAGE_SHIFT, owner);
        return p;
    }

    private void freeLarge(ThreadCache tc, Chunk c, long address, int tag) {
        LargeBlock b;
        synchronized (large) {
            b = large.get(address);
        }
        if (b == null) {
            short kind = c.pageKind[(int) ((address - c.base) >>> SizeClasses.PAGE_SHIFT)];
            if (kind == Chunk.PAGE_LARGE_FREED) {
                throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, address,
                        name + " large block 0x" + Long.toHexString(address) + " was already freed");
            }
            throw notABlock(address);
        }
        checkTag(address, b.tag(), tag);
        long bytes = b.pages() << SizeClasses.PAGE_SHIFT;
        if (Verifier.ENABLED && verify) {
            if ((c.info[(int) ((address - c.base) >>> SizeClasses.UNIT_SHIFT)] & Chunk.PARKED) != 0) {
                throw parkedFree(address, 0);
            }
            checkGuard(c.segment, address - c.base, b.requested(), bytes - b.requested(), address);
        }
        if (Verifier.ENABLED) {
            LiveObjects live = liveObjects;
            if (live != null) {
                live.checkFree(address, bytes);
            }
        }
        synchronized (large) {
            if (large.remove(address) == null) { // a concurrent free of the same block won the race
                throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, 0, address,
                        name + " large block 0x" + Long.toHexString(address) + " was already freed");
            }
        }
        pages.freePages(address, b.pages(), Chunk.PAGE_LARGE_FREED);
        tc.countFree(tags, b.tag() & ~PoolTags.PROTECTED_POOL, bytes);
    }

    // ----- small-block slow paths -----

    /** Refills the thread's stack for {@code cls} and returns one block, or 0 when exhausted. */
    private long refill(ThreadCache tc, int cls) {
        long batch = freeLists.popBatch(cls);
        if (batch == 0) {
            batch = carvePage(cls);
            if (batch == 0) {
                reclaimDeadCaches();
                batch = freeLists.popBatch(cls);
                if (batch == 0) {
                    batch = carvePage(cls);
                    if (batch == 0) {
                        return 0;
                    }
                }
            }
        }
        // Keep the first block for the caller, the rest of the batch goes to the thread's stack. The links
        // live in free memory a caller's stale pointer may have written: each is checked (a free block of
        // this class, at most BATCH blocks) as it is followed, and a bad one undoes the pushes and is a bug
        // check, so nothing of a corrupt batch is handed out.
        long block = batch;
        Chunk c = checkBatchLink(cls, 0, block);
        int bottom = tc.depth(cls);
        try {
            long b = block;
            for (long next = FreeLists.nextInBatch(c, b); next != 0; next = FreeLists.nextInBatch(c, b)) {
                if (tc.depth(cls) - bottom >= FreeLists.BATCH - 1) {
                    throw corruptFreeList(cls, b, next, "makes the batch longer than " + FreeLists.BATCH
                            + " blocks (its links form a cycle or join another batch)");
                }
                c = checkBatchLink(cls, b, next);
                tc.push(cls, next);
                b = next;
            }
        } catch (RuntimeException corrupt) {
            tc.truncate(cls, bottom);
            throw corrupt;
        }
        tc.reverse(cls, bottom); // hand the batch out in chain order (ascending addresses when carved)
        return block;
    }

    /**
     * Checks that {@code link}, read from the free block {@code from} (0: the batch's first block, from
     * the free list's head), is a free block of class {@code cls} in this pool, and returns its chunk:
     * BAD_POOL_HEADER (0x19, 3: the free list is corrupt, the entry, the link read, 0) otherwise.
     */
    private Chunk checkBatchLink(int cls, long from, long link) {
        Chunk c = pages.chunkOf(link);
        if (c == null) {
            ensureOpen(); // close() unmapped the pool under the call: say so
            throw corruptFreeList(cls, from, link, "names an address in none of the pool's chunks");
        }
        long off = link - c.base;
        if (c.pageKind[(int) (off >>> SizeClasses.PAGE_SHIFT)] != cls
                || !SizeClasses.isBlockStart(cls, (int) (off & (SizeClasses.PAGE_SIZE - 1)))) {
            throw corruptFreeList(cls, from, link, "names no block of its size class");
        }
        if (PoolHeader.poolType(PoolHeader.readUlong1(c.segment, off)) != 0) {
            throw corruptFreeList(cls, from, link, "names a block that is allocated");
        }
        return c;
    }

    private RuntimeException corruptFreeList(int cls, long from, long link, String what) {
        return bugChecks.bugCheck(BugCheckCode.BAD_POOL_HEADER, 0x03, from, link, 0,
                name + " free list of " + SizeClasses.stride(cls) + "-byte blocks is corrupt: the link 0x" + Long.toHexString(link)
                        + (from == 0 ? " at the list's head" : " in free block 0x" + Long.toHexString(from)) + " " + what
                        + " (a write through a stale pointer into freed pool)");
    }

    /** Carves a new page into free blocks of {@code cls}; pushes all but one batch; returns that batch. */
    private long carvePage(int cls) {
        long page = cls >= SizeClasses.SEGREGATED_BASE ? pages.allocateSegregatedPage((short) cls) : pages.allocatePages(1, (short) cls);
        if (page == 0) {
            return 0;
        }
        Chunk c = chunkOfNew(page);
        MemorySegment s = c.segment;
        long pageOff = page - c.base;
        int stride = SizeClasses.stride(cls);
        int first = SizeClasses.firstHeader(cls);
        if (first != 0) {
            // The fragment before the first cache-aligned header: a free block of its units, tag 0.
            long fragment = pageOff + PoolHeader.SIZE;
            PoolHeader.writeWord(s, fragment, PoolHeader.word(PoolHeader.ulong1(0, 0, first >>> SizeClasses.UNIT_SHIFT, 0), 0));
            PoolHeader.writeProcessBilled(s, fragment, 0L);
        }
        int n = SizeClasses.blocksPerPage(cls);
        long kept = 0;
        long batchHead = 0;
        long prev = 0;
        int inBatch = 0;
        for (int i = 0; i < n; i++) {
            int h = first + i * stride;
            long off = pageOff + h + SizeClasses.HEADER;
            int free = PoolHeader.ulong1(SizeClasses.previousSize(cls, h), 0, stride >>> SizeClasses.UNIT_SHIFT, 0);
            PoolHeader.writeWord(s, off, PoolHeader.word(free, 0)); // PoolType 0 (free), tag 0
            PoolHeader.writeProcessBilled(s, off, 0L); // no quota is ever charged
            FreeLists.linkInBatch(s, off, 0);
            if (inBatch == 0) {
                batchHead = c.base + off;
            } else {
                FreeLists.linkInBatch(s, prev - c.base, c.base + off);
            }
            prev = c.base + off;
            if (++inBatch == FreeLists.BATCH || i == n - 1) {
                if (kept == 0) {
                    kept = batchHead;
                } else {
                    freeLists.pushBatch(cls, batchHead);
                }
                inBatch = 0;
            }
        }
        return kept;
    }

    /** Moves one batch from the thread's full stack to the pool's free list. */
    private void spill(ThreadCache tc, int cls) {
        long head = 0;
        for (int i = 0; i < FreeLists.BATCH; i++) {
            long b = tc.pop(cls);
            Chunk c = chunkOfNew(b); // null only if close() unmapped the pool meanwhile: reported as closed
            FreeLists.linkInBatch(c.segment, b - c.base, head);
            head = b;
        }
        freeLists.pushBatch(cls, head);
    }

    /** Gives the blocks cached by threads that have ended back to the pool's free lists. */
    private void reclaimDeadCaches() {
        synchronized (reclaimLock) {
            for (ThreadCache tc : caches.values()) {
                if (tc.drained || tc.owner.isAlive()) {
                    continue; // !isAlive() makes the dead thread's writes to its stacks visible here
                }
                for (int cls = 0; cls < SizeClasses.NUM_CLASSES; cls++) {
                    while (tc.depth(cls) > 0) {
                        long head = 0;
                        int n = Math.min(FreeLists.BATCH, tc.depth(cls));
                        for (int i = 0; i < n; i++) {
                            long b = tc.pop(cls);
                            Chunk c = chunkOfNew(b); // null only if close() unmapped the pool meanwhile: reported as closed
                            FreeLists.linkInBatch(c.segment, b - c.base, head);
                            head = b;
                        }
                        freeLists.pushBatch(cls, head);
                    }
                }
                tc.drained = true;
            }
        }
    }

    /**
     * The calling thread's cache. The pool's map ({@link #caches}) costs more than the rest of an
     * allocation here, so it sits behind a table indexed by thread id. The table is read and written
     * with plain accesses: an entry is used only if its (final) owner is the calling thread, in which
     * case every write to it was made by this very thread; a stale or colliding entry just sends
     * the thread to the map.
     */
    ThreadCache cache() {
        Thread t = Thread.currentThread();
        int i = (int) t.threadId() & (cacheByThreadId.length - 1);
        ThreadCache tc = cacheByThreadId[i];
        if (tc != null && tc.owner == t) {
            return tc;
        }
        tc = caches.computeIfAbsent(t, ThreadCache::new);
        cacheByThreadId[i] = tc;
        return tc;
    }

    // ----- checks -----

    /** The caller's IRQL for the verifier: the test hook's, else the calling thread's state's. */
    private int callerIrql() {
        IntSupplier source = irqlSource; // volatile read: a test may set it from another thread
        return source != null ? source.getAsInt() : ThreadState.current().irql();
    }

    private void verifyFree(long address) {
        int irql = callerIrql();
        if (irql > maxIrql()) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x09, irql, poolType, address,
                    name + " freed at IRQL " + irql);
        }
    }

    private RuntimeException notInPool(long address) {
        return bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x42, address, 0, 0,
                "0x" + Long.toHexString(address) + " was never in " + name);
    }

    private RuntimeException notABlock(long address) {
        return bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x46, address, 0, 0,
                "0x" + Long.toHexString(address) + " is not the start of a " + name + " block");
    }

    private void verifyAllocate(long bytes, int tag) {
        int irql = callerIrql();
        if (irql > maxIrql()) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x08, irql, poolType, bytes,
                    name + " allocation at IRQL " + irql);
        }
        if (bytes == 0) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x00, 0, poolType, tag & 0xFFFFFFFFL,
                    "zero-byte " + name + " allocation, tag '" + PoolTags.toString(tag) + "'");
        }
    }

    private int maxIrql() {
        return poolType == PoolType.PagedPool ? Irql.APC_LEVEL : Irql.DISPATCH_LEVEL;
    }

    private void checkHeader(MemorySegment s, long off, int cls, int ulong1, long address) {
        long headerAddress = PoolHeader.headerAddress(address);
        long contents = PoolHeader.readWord(s, off);
        if (PoolHeader.poolType(ulong1) == 0) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x07, 0, contents, address,
                    name + " block 0x" + Long.toHexString(address) + " was already freed");
        }
        int stride = SizeClasses.stride(cls);
        if (PoolHeader.blockSize(ulong1) != stride >>> SizeClasses.UNIT_SHIFT) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_HEADER, 0x07, 0, contents, headerAddress,
                    "BlockSize of the header at 0x" + Long.toHexString(headerAddress) + " is "
                            + PoolHeader.blockSize(ulong1) + ", not " + (stride >>> SizeClasses.UNIT_SHIFT));
        }
        int headerInPage = (int) ((off - PoolHeader.SIZE) & (SizeClasses.PAGE_SIZE - 1));
        int prev = SizeClasses.previousSize(cls, headerInPage);
        if (PoolHeader.previousSize(ulong1) != prev) {
            long previousHeader = headerAddress - ((long) prev << SizeClasses.UNIT_SHIFT);
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_HEADER, 0x05, headerAddress, 0, previousHeader,
                    "PreviousSize of the header at 0x" + Long.toHexString(headerAddress) + " is " + PoolHeader.previousSize(ulong1)
                            + ", the previous block has " + prev + " units");
        }
        if (PoolHeader.poolIndex(ulong1) != 0) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x01, headerAddress, contents, 0,
                    "PoolIndex of the header at 0x" + Long.toHexString(headerAddress) + " is " + PoolHeader.poolIndex(ulong1));
        }
    }

    private void checkTag(long address, int blockTag, int tag) {
        boolean protectedBlock = (blockTag & PoolTags.PROTECTED_POOL) != 0;
        if ((tag != 0 || protectedBlock) && tag != blockTag) {
            throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_CALLER, 0x0A, address, blockTag & 0xFFFFFFFFL, tag & 0xFFFFFFFFL,
                    name + " block 0x" + Long.toHexString(address) + " has tag '" + PoolTags.toString(blockTag)
                            + "'" + (protectedBlock ? " (protected)" : "") + ", freed with '" + PoolTags.toString(tag) + "'");
        }
    }

    private static void fillGuard(MemorySegment s, long from, long slack) {
        if (slack > 0) {
            s.asSlice(from, slack).fill(GUARD);
        }
    }

    private void checkGuard(MemorySegment s, long off, long requested, long slack, long address) {
        long start = off + requested;
        for (long i = 0; i < slack; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, start + i) != GUARD) {
                long value = 0;
                long n = Math.min(8, slack - i);
                for (long k = n - 1; k >= 0; k--) {
                    value = value << 8 | (s.get(ValueLayout.JAVA_BYTE, start + i + k) & 0xFF);
                }
                throw bugChecks.bugCheck(BugCheckCode.BAD_POOL_HEADER, 0x21, address, requested, value,
                        name + " block 0x" + Long.toHexString(address) + " of " + requested + " bytes was overrun at +"
                                + (requested + i));
            }
        }
    }

    private long failed(long bytes, long flags) {
        if ((flags & POOL_FLAG_RAISE_ON_FAILURE) != 0) {
            throw new NtStatusException(NtStatus.STATUS_INSUFFICIENT_RESOURCES,
                    name + " cannot allocate " + bytes + " bytes (limit " + limit + " bytes)");
        }
        return 0;
    }

    private int typeCode(boolean cacheAligned) {
        return (poolType | (cacheAligned ? PoolType.NonPagedPoolCacheAligned : 0)) + 1;
    }

    void ensureOpen() {
        if (closed) { // volatile read: pairs with close()
            throw new IllegalStateException(name + " is closed (its kernel was closed)");
        }
    }

    // ----- reports -----

    /** Per-tag accounting, one entry per tag ever used in this pool (a snapshot). */
    public List<PoolUsage> usage() {
        List<PoolUsage> out = new ArrayList<>();
        forEachUsage((tag, type, allocs, frees, bytes) -> out.add(new PoolUsage(tag, type, allocs, frees, bytes)));
        return out;
    }

    /** What {@link #forEachUsage} reports per tag: the same numbers as a {@link PoolUsage}, unboxed. */
    @FunctionalInterface
    public interface UsageVisitor {
        /** One tag's counts in this pool (tag with the protected bit stripped; poolType NonPagedPool 0 or PagedPool 1). */
        void usage(int tag, int poolType, long allocs, long frees, long bytes);
    }

    /**
     * Per-tag accounting without allocating: calls {@code visitor} once per tag ever used in this pool
     * (and for the overflow slot {@code "?ovf"} once used), summing every thread's counters with opaque
     * reads (exact once the writers are quiescent). The live counters publish from here.
     */
    public void forEachUsage(UsageVisitor visitor) {
        for (int slot = 0; slot <= TagTable.CAPACITY; slot++) {
            if (slot < TagTable.CAPACITY && !tags.used(slot)) {
                continue;
            }
            long allocs = 0;
            long frees = 0;
            long bytes = 0;
            for (ThreadCache tc : caches.values()) {
                allocs += tc.read(slot, ThreadCache.ALLOCS);
                frees += tc.read(slot, ThreadCache.FREES);
                bytes += tc.read(slot, ThreadCache.BYTES);
            }
            if (slot == TagTable.OVERFLOW && allocs == 0) {
                continue;
            }
            int tag = slot == TagTable.OVERFLOW ? OVERFLOW_TAG : tags.tagAt(slot);
            visitor.usage(tag, poolType, allocs, frees, bytes);
        }
    }

    /** The tag reported for allocations whose tag found no slot. */
    private static final int OVERFLOW_TAG = PoolTags.tag("?ovf");

    /**
     * Pins the segregated memory ({@link #allocateSegregated}): the pool's close unregisters it from
     * the address space as any chunk but unmaps it only once every pin is released. Returns the
     * release (it runs once; it holds neither this pool nor its kernel, so a Cleaner may hold it). A
     * thread state pins the memory that holds its KTHREAD for as long as it lives.
     *
     * @throws IllegalStateException if the pool is closed
     */
    public Runnable pinSegregatedMemory() {
        return pages.pinSegregated();
    }

    /** Whether the segregated memory is still mapped: until the pool's close, then until its last pin is released. */
    public boolean segregatedMemoryMapped() {
        return pages.segregatedMapped();
    }

    /** Chunks mapped (the pool's footprint in chunks; the segregated memory beside them, outside the limit, is not counted). */
    public int chunkCount() {
        return pages.chunkCount();
    }

    /** Bytes of the chunks mapped (the segregated memory beside them, outside the limit, is not counted). */
    public long mappedBytes() {
        return pages.mappedBytes();
    }

    /**
     * The blocks allocated now, grouped by tag and requested size: walks every carved page's headers
     * and the large-block table. Exact when no other thread allocates or frees meanwhile.
     */
    public LeakReport outstanding() {
        return outstanding(-1);
    }

    /**
     * The blocks allocated now by the driver with owner id {@code owner} (-1: every block), grouped
     * by tag, requested size and owner, each named by the owner-name function
     * ({@link #setOwnerNames}). Exact when no other thread allocates or frees meanwhile.
     */
    public LeakReport outstanding(int owner) {
        Map<List<Long>, long[]> groups = new HashMap<>();
        for (Chunk c : pages.chunks()) {
            for (int page = 0; page < c.pageKind.length; page++) {
                int cls = c.pageKind[page];
                if (cls <= 0) {
                    continue;
                }
                long pageOff = (long) page << SizeClasses.PAGE_SHIFT;
                for (int i = 0; i < SizeClasses.blocksPerPage(cls); i++) {
                    long off = pageOff + SizeClasses.firstHeader(cls) + (long) i * SizeClasses.stride(cls) + PoolHeader.SIZE;
                    if (PoolHeader.poolType(PoolHeader.readUlong1(c.segment, off)) != 0) {
                        int blockInfo = c.info[(int) (off >>> SizeClasses.UNIT_SHIFT)];
                        int blockOwner = Chunk.owner(blockInfo);
                        if (owner >= 0 && blockOwner != owner) {
                            continue;
                        }
                        int tag = PoolHeader.readTag(c.segment, off);
                        long size = Chunk.requested(blockInfo);
                        groups.computeIfAbsent(List.of((long) tag, size, (long) blockOwner), k -> new long[1])[0]++;
                    }
                }
            }
        }
        synchronized (large) {
            for (LargeBlock b : large.values()) {
                if (owner < 0 || b.owner() == owner) {
                    groups.computeIfAbsent(List.of((long) b.tag(), b.requested(), (long) b.owner()), k -> new long[1])[0]++;
                }
            }
        }
        List<LeakReport.Leak> leaks = new ArrayList<>();
        IntFunction<String> names = ownerNames;
        groups.forEach((k, v) -> leaks.add(new LeakReport.Leak((int) (long) k.get(0), poolType, k.get(1), v[0],
                k.get(2) == 0 ? "" : names.apply((int) (long) k.get(2)))));
        return new LeakReport(List.of()).plus(new LeakReport(leaks));
    }

    // ----- driver attribution (docs/io.md "Attribution") -----

    /** Names owner ids in reports (the I/O manager's driver names); set once at boot. */
    private volatile IntFunction<String> ownerNames = owner -> "owner " + owner;

    /** Sets how reports name an owner id (the I/O manager: the driver's name). */
    public void setOwnerNames(IntFunction<String> names) {
        this.ownerNames = names;
    }

    /**
     * Records that the calling thread now runs the code of the driver with owner id {@code owner}
     * (0: none): the blocks it allocates from now on are that driver's. One plain write to the
     * thread's own cache.
     *
     * @throws IllegalArgumentException if {@code owner} is not in 0..65535
     */
    public void setThreadOwner(int owner) {
        if ((owner & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("pool owner id " + owner + " is not in 0..65535");
        }
        cache().driverOwner = (char) owner;
    }

    /**
     * The owner id of the allocated block holding {@code address} (its payload), or 0 if the block
     * has none or {@code address} is in no allocated block of this pool.
     */
    public int ownerOf(long address) {
        if (liveBytesAt(address) <= 0) {
            return 0;
        }
        Chunk c = pages.chunkOf(address);
        long off = address - c.base;
        int page = (int) (off >>> SizeClasses.PAGE_SHIFT);
        int kind = c.pageKind[page];
        if (kind > 0) {
            int inPage = (int) (off & (SizeClasses.PAGE_SIZE - 1));
            int first = SizeClasses.firstHeader(kind);
            int stride = SizeClasses.stride(kind);
            long payload = off - inPage + first + (long) ((inPage - first) / stride) * stride + PoolHeader.SIZE;
            return Chunk.owner(c.info[(int) (payload >>> SizeClasses.UNIT_SHIFT)]);
        }
        long head = c.base + ((long) c.largeHead[page] << SizeClasses.PAGE_SHIFT);
        synchronized (large) {
            LargeBlock b = large.get(head);
            return b == null ? 0 : b.owner();
        }
    }

    /**
     * Tag → the owner ids of drivers seen allocating it (each thread's last one per tag), for
     * poolmon's driver column. A snapshot with opaque-free plain reads: indicative, as poolmon's.
     */
    public Map<Integer, java.util.Set<Integer>> tagOwners() {
        Map<Integer, java.util.Set<Integer>> out = new HashMap<>();
        for (int slot = 0; slot <= TagTable.CAPACITY; slot++) {
            if (slot < TagTable.CAPACITY && !tags.used(slot)) {
                continue;
            }
            for (ThreadCache tc : caches.values()) {
                int o = (int) tc.read(slot, ThreadCache.OWNER);
                if (o != 0) {
                    out.computeIfAbsent(slot == TagTable.OVERFLOW ? OVERFLOW_TAG : tags.tagAt(slot), k -> new java.util.TreeSet<>()).add(o);
                }
            }
        }
        return out;
    }

    /** The name of owner id {@code owner} as reports give it. */
    public String ownerName(int owner) {
        return ownerNames.apply(owner);
    }

    /** Closes the pool: reports what is still allocated, then unmaps every chunk. Idempotent. */
    @Override
    public void close() {
        closeAndReport();
    }

    /** Closes the pool and returns the blocks still allocated (empty if already closed). */
    public LeakReport closeAndReport() {
        synchronized (reclaimLock) {
            if (closed) {
                return new LeakReport(List.of());
            }
            LeakReport report = outstanding();
            closed = true; // volatile write: later calls fail fast in ensureOpen()
            pages.close(); // the caches stay as they are: only this pool reaches them (see caches)
            return report;
        }
    }

    // ===== VarHandle mechanics =====

    /** Chunk.info elements, for the PARKED bit (park/unpark): CAS on an int. */
    private static final VarHandle MARKS = MethodHandles.arrayElementVarHandle(int[].class);

    /** Test hook: where the verifier reads the IRQL (the IRQL model replaces {@link Irql#current()}). */
    void irqlSourceForTest(IntSupplier source) {
        this.irqlSource = source;
    }
}
