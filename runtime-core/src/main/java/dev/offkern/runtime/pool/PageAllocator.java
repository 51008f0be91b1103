package dev.offkern.runtime.pool;

import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.BlockMap;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pool's pages: maps chunks (from one long-lived {@link Arena#ofShared()} that the pool closes at
 * its end) up to the pool's limit, registers each in the address space, and hands out runs of 4 KiB
 * pages: single pages to the size classes, longer runs to large blocks. Freed runs coalesce with
 * free neighbours of the same chunk (never across chunks, whose memory need not be contiguous).
 *
 * <p>The segregated classes' pages (the Thread objects: every thread's KTHREAD) come from chunks of
 * their own ({@link #SEGREGATED_CHUNK_BYTES}, beside the pool's chunks and not counted against its
 * limit, which bounds what callers can take), mapped from a second arena, {@link SegregatedMemory}:
 * the pool's close unregisters them with the others but unmaps them only once no pin holds them
 * ({@link #pinSegregated}), so a thread state may store into its KTHREAD without a scope check for as
 * long as it pins them.
 *
 * <p><b>Implementation overview.</b> Free runs live in an address-ordered map (first fit). All
 * mutation is under the allocator's monitor: pages are taken only when a size class runs dry or a
 * large block is made, both already slow paths. {@link #chunkOf} is the hot lookup: a binary
 * search over a copy-on-write array of chunks sorted by base, published by a volatile write after
 * the chunk is fully set up.
 *
 * <p>Progress: {@link #chunkOf} wait-free; everything else blocking (monitor).
 */
final class PageAllocator {
    /** Chunks are mapped in multiples of 64 KiB (the address space's granule, KernelConfig's chunk unit). */
    static final long CHUNK_GRANULARITY = 1L << AddressSpace.GRANULE_SHIFT;
    /** Bytes of each segregated chunk: 64 pages (64 Thread objects, one per page). */
    static final long SEGREGATED_CHUNK_BYTES = 4 * CHUNK_GRANULARITY;

    private final String poolName;
    /** What the address space asks about the blocks of this allocator's chunks (the pool). */
    private final BlockMap blocks;
    private final AddressSpace addressSpace;
    private final long limit;
    private final long chunkSize;
    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, Long> freeRuns = new TreeMap<>(); // page address -> page count
    private final List<Chunk> chunkList = new ArrayList<>();
    /** The segregated chunks' arena and its pins. */
    private final SegregatedMemory segregated = new SegregatedMemory();
    /** The segregated chunks, in mapping order; their pages are handed out in address order, never back. */
    private final List<Chunk> segregatedChunks = new ArrayList<>();
    /** The next page of the newest segregated chunk no class has had, and the end of that chunk (equal: none left). */
    private long segregatedNext;
    private long segregatedEnd;
    /** Chunks sorted by base; replaced whole (copy-on-write). */
    private volatile Chunk[] sorted = new Chunk[0];
    private long mapped;
    private boolean closed;

    /**
     * The bytes of the largest run one chunk may hold: the pool's limit rounded down to whole chunk
     * granules, and at most what a chunk's per-granule bookkeeping can index ({@link Chunk}).
     */
    long maxRunBytes() {
        return Math.min(limit, Chunk.MAX_BYTES) & -CHUNK_GRANULARITY;
    }

    private static long roundUp(long bytes, long granularity) {
        return (bytes + granularity - 1) & -granularity; // callers pass bytes <= maxRunBytes(): no overflow
    }

    PageAllocator(String poolName, AddressSpace addressSpace, long limit, long chunkSize, BlockMap blocks) {
        this.blocks = blocks;
        this.poolName = poolName;
        this.addressSpace = addressSpace;
        this.limit = limit;
        this.chunkSize = chunkSize;
    }

    /** The chunk holding {@code address}, or null. Wait-free, allocation-free. */
    Chunk chunkOf(long address) {
        Chunk[] cs = sorted; // volatile read: pairs with the publishing write in mapChunk()
        int lo = 0;
        int hi = cs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Chunk c = cs[mid];
            if (address < c.base) {
                hi = mid - 1;
            } else if (address - c.base >= c.size) {
                lo = mid + 1;
            } else {
                return c;
            }
        }
        return null;
    }

    /**
     * Takes {@code pages} contiguous pages and marks them {@code kind} (tail pages of a large run
     * {@link Chunk#PAGE_LARGE_TAIL}); maps a new chunk if no free run fits and the limit allows.
     *
     * @return the first page's address, or 0 if the limit is reached
     */
    synchronized long allocatePages(long pages, short kind) {
        if (closed || pages <= 0 || pages > maxRunBytes() >>> SizeClasses.PAGE_SHIFT) {
            return 0; // a run no chunk could ever hold: fail before the byte count below could overflow
        }
        long bytes = pages << SizeClasses.PAGE_SHIFT; // <= maxRunBytes(): no overflow
        long address = takeRun(freeRuns, pages);
        if (address == 0) {
            long want = Math.max(chunkSize, roundUp(bytes, CHUNK_GRANULARITY));
            if (want > limit - mapped || !mapChunk(want, freeRuns)) {
                return 0; // nothing was mapped: the limit (or the host) cannot give a chunk that fits
            }
            address = takeRun(freeRuns, pages);
            if (address == 0) {
                throw new IllegalStateException(poolName + ": a fresh chunk of " + want + " bytes has no run of " + pages + " pages");
            }
        }
        Chunk c = chunkOf(address);
        int first = (int) ((address - c.base) >>> SizeClasses.PAGE_SHIFT);
        c.pageKind[first] = kind;
        c.largeHead[first] = first;
        for (int i = 1; i < pages; i++) {
            c.pageKind[first + i] = Chunk.PAGE_LARGE_TAIL;
            c.largeHead[first + i] = first;
        }
        return address;
    }

    /**
     * Takes one page for segregated size class {@code kind} ({@link SizeClasses#SEGREGATED_BASE} and up)
     * from the segregated chunks, mapping one if the newest has no page left: those chunks hold
     * segregated pages only, each handed out once and never back (a size class keeps its pages), so a
     * segregated class's memory never held, and never will hold, any block of another class, and no
     * stale pointer into memory freed elsewhere can reach it. The segregated chunks are outside the
     * pool's limit.
     *
     * @return the page's address, or 0 if the pool is closed or the host has no memory for a chunk
     */
    synchronized long allocateSegregatedPage(short kind) {
        if (closed) {
            return 0;
        }
        if (segregatedNext == segregatedEnd && !mapSegregatedChunk()) {
            return 0;
        }
        long address = segregatedNext;
        segregatedNext += SizeClasses.PAGE_SIZE;
        Chunk c = chunkOf(address);
        int page = (int) ((address - c.base) >>> SizeClasses.PAGE_SHIFT);
        c.pageKind[page] = kind;
        c.largeHead[page] = page;
        return address;
    }

    /** Maps a segregated chunk from the segregated arena and makes its pages the next to hand out. */
    private boolean mapSegregatedChunk() {
        MemorySegment segment;
        try {
            segment = segregated.arena().allocate(SEGREGATED_CHUNK_BYTES, SizeClasses.PAGE_SIZE);
        } catch (OutOfMemoryError e) {
            return false;
        }
        Region region = addressSpace.register(segment, poolName + " segregated memory " + segregatedChunks.size(), blocks);
        segregatedChunks.add(new Chunk(segment, region, segregatedChunks.size()));
        publishChunks();
        segregatedNext = segment.address();
        segregatedEnd = segment.address() + SEGREGATED_CHUNK_BYTES;
        return true;
    }

    /**
     * Pins the segregated chunks: the pool's close unmaps them only once every pin is released. The
     * returned action releases this pin (once; later runs do nothing); it holds nothing but the
     * segregated memory's arena and count (no pool, no kernel).
     *
     * @throws IllegalStateException if the pool is closed
     */
    synchronized Runnable pinSegregated() {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed: Kernel.close() unmapped " + poolName);
        }
        return segregated.pin();
    }

    /** Whether the segregated chunks are still mapped. */
    boolean segregatedMapped() {
        return segregated.mapped();
    }

    /** Returns {@code pages} pages at {@code address}; the first page is marked {@code headKind}. */
    synchronized void freePages(long address, long pages, short headKind) {
        if (closed) { // close() unmapped every chunk while the caller was freeing
            throw new IllegalStateException("this offkern kernel is closed: Kernel.close() unmapped " + poolName
                    + " during the free");
        }
        Chunk c = chunkOf(address);
        int first = (int) ((address - c.base) >>> SizeClasses.PAGE_SHIFT);
        for (int i = 0; i < pages; i++) {
            c.pageKind[first + i] = Chunk.PAGE_FREE;
        }
        c.pageKind[first] = headKind;
        long start = address;
        long count = pages;
        Map.Entry<Long, Long> before = freeRuns.floorEntry(address);
        if (before != null && before.getKey() + (before.getValue() << SizeClasses.PAGE_SHIFT) == address
                && c.contains(before.getKey())) {
            start = before.getKey();
            count += before.getValue();
            freeRuns.remove(before.getKey());
        }
        long end = address + (pages << SizeClasses.PAGE_SHIFT);
        Long after = freeRuns.get(end);
        if (after != null && c.contains(end)) {
            count += after;
            freeRuns.remove(end);
        }
        freeRuns.put(start, count);
    }

    private static long takeRun(TreeMap<Long, Long> runs, long pages) {
        for (Map.Entry<Long, Long> e : runs.entrySet()) {
            long runPages = e.getValue();
            if (runPages >= pages) {
                long address = e.getKey(); // read both before remove(): TreeMap may recycle the entry object
                runs.remove(address);
                if (runPages > pages) {
                    runs.put(address + (pages << SizeClasses.PAGE_SHIFT), runPages - pages);
                }
                return address;
            }
        }
        return 0;
    }

    /** Maps a chunk of {@code bytes} whose pages become free runs of {@code runs}. */
    private boolean mapChunk(long bytes, TreeMap<Long, Long> runs) {
        MemorySegment segment;
        try {
            segment = arena.allocate(bytes, SizeClasses.PAGE_SIZE);
        } catch (OutOfMemoryError e) {
            return false; // the host is out of native memory: the pool is exhausted, not broken
        }
        Region region = addressSpace.register(segment, poolName + " chunk " + chunkList.size(), blocks);
        Chunk chunk = new Chunk(segment, region, chunkList.size());
        chunkList.add(chunk);
        publishChunks();
        mapped += bytes;
        runs.put(segment.address(), bytes >>> SizeClasses.PAGE_SHIFT);
        return true;
    }

    /** Publishes the pool's and the segregated chunks, sorted by base, to {@link #chunkOf}. */
    private void publishChunks() {
        List<Chunk> all = new ArrayList<>(chunkList);
        all.addAll(segregatedChunks);
        Chunk[] next = all.toArray(Chunk[]::new);
        java.util.Arrays.sort(next, (a, b) -> Long.compareUnsigned(a.base, b.base));
        sorted = next; // volatile write: publishes the fully built chunk to chunkOf()
    }

    /** The pool's chunks mapped so far (what its limit bounds; the segregated chunks are not counted). */
    synchronized int chunkCount() {
        return chunkList.size();
    }

    /** Bytes of the pool's chunks mapped so far (what its limit bounds; the segregated chunks are not counted). */
    synchronized long mappedBytes() {
        return mapped;
    }

    /** Every chunk, the pool's in mapping order, then the segregated ones (a snapshot). */
    synchronized List<Chunk> chunks() {
        List<Chunk> all = new ArrayList<>(chunkList);
        all.addAll(segregatedChunks);
        return all;
    }

    /**
     * Unregisters every chunk and unmaps the pool's (one arena close); the segregated chunks are
     * unmapped now if nothing pins them, else when the last pin is released.
     */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Chunk c : chunks()) {
            addressSpace.unregister(c.region);
        }
        sorted = new Chunk[0]; // volatile write: later lookups find nothing
        arena.close();
        segregated.poolClosed();
    }
}
