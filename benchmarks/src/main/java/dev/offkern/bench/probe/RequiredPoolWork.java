package dev.offkern.bench.probe;

import dev.offkern.layout.mm.POOL_HEADER;
import dev.offkern.nt.PoolFlags;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The floor of the pool DDI pair with every step that issue 10 says must stay: a model of what
 * {@code ExAllocatePool2} + {@code ExFreePoolWithTag} have to do per call in offkern, and nothing else (no
 * verifier branches, no large or segregated blocks, no refill or spill, no driver attribution).
 *
 * <p>Even this much is over C2's inlining budget: {@link #allocate} and {@link #free} are 425 and 400 bytes of
 * bytecode, above {@code FreqInlineSize} (325), so by default they are calls, as {@code Pool.allocate} and
 * {@code Pool.free} are. The floor is measured with them fused into the caller's loop:
 * {@code -XX:FreqInlineSize=1000 -XX:InlineSmallCode=10000} (docs/performance.md, "The pool's required work").
 *
 * <p>Per call, as {@code ThreadPools} and {@code Pool} do it:
 * <ul>
 *   <li>the thread's record through a table indexed by thread id, checked to be the thread's own, and the
 *       kernel's run state (a volatile read: close() must stop later calls);</li>
 *   <li>allocate: the flag check of the DDI, the size class from the size, the class's stack in the
 *       thread's cache, the pop, the block's chunk from the cache's copies, the POOL_HEADER head word (Ulong1
 *       and PoolTag, one store through the chunk's checked segment), the requested size in the chunk's
 *       per-granule array (what resolves the block's address later), the tag's counters (one-entry memo,
 *       opaque stores), and the returned segment of the requested bytes;</li>
 *   <li>free: the address in the thread's last chunk (else it is in no pool: bug check 0x42), the page's
 *       class and the block-start bitmap (0x46), the head word read back and checked (0x07 / 0x0A), Ulong1
 *       rewritten free, the tag's counters, and the push.</li>
 * </ul>
 * Every failure branch throws, as the pool's bug checks do; none is taken in the probe.
 *
 * <p>Single-threaded model of the non-paged pool only (one record, one cache; a paged request is refused with
 * {@link UnsupportedOperationException}): the probe's floor, not a pool. Its flag checks repeat those of
 * {@code Pools.allocatePool2} on purpose: the model must do the same work where the probe can measure it.
 */
final class RequiredPoolWork {
    private static final int TABLE_SIZE = 1024;
    private static final Record[] BY_THREAD = new Record[TABLE_SIZE];
    private static final long PAGE = 4096;
    private static final int UNIT_SHIFT = 4;
    private static final int HEADER = (int) POOL_HEADER.LAYOUT.byteSize();
    /** Plain (16-byte) classes: one per unit count up to a page. */
    private static final int CLASSES = (int) (PAGE >>> UNIT_SHIFT);
    private static final int MIN_UNITS = 2;
    private static final long MAX_SMALL = PAGE - HEADER;
    private static final int STARTS_LONGS = (int) (PAGE >>> UNIT_SHIFT) / Long.SIZE;
    /** Per class, the block-start bitmap of a page (payload granules). */
    private static final long[] STARTS = new long[CLASSES * STARTS_LONGS];
    private static final long UNSUPPORTED = ~PoolFlags.POOL_FLAG_KNOWN_REQUIRED | PoolFlags.POOL_FLAG_SESSION
            | PoolFlags.POOL_FLAG_RESERVED1 | PoolFlags.POOL_FLAG_RESERVED2 | PoolFlags.POOL_FLAG_RESERVED3;
    private static final int ALLOCATED = 1 << POOL_HEADER.POOL_TYPE_SHIFT; // PoolType: NonPagedPool + 1
    private static final int POOL_TYPE_FIELD = ((1 << POOL_HEADER.POOL_TYPE_BITS) - 1) << POOL_HEADER.POOL_TYPE_SHIFT;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long HEAD = POOL_HEADER.ULONG1_OFFSET - HEADER;
    /**
     * Ablation switches (measurement only, {@code -Dfloor.skip=lookup,flags,chunk,block,header,info,counts}):
     * each named step is left out, to itemise the floor. Static finals, so C2 folds the skipped steps away.
     */
    private static final String SKIP = "," + System.getProperty("floor.skip", "") + ",";
    private static final boolean LOOKUP = !SKIP.contains(",lookup,");
    private static final boolean FLAGS = !SKIP.contains(",flags,");
    private static final boolean CHUNK = !SKIP.contains(",chunk,");
    private static final boolean BLOCK = !SKIP.contains(",block,");
    private static final boolean HEADER_ACCESS = !SKIP.contains(",header,");
    private static final boolean INFO = !SKIP.contains(",info,");
    private static final boolean COUNTS = !SKIP.contains(",counts,");
    /** With the lookup skipped: the record, found once. */
    private static Record only;

    static {
        for (int units = MIN_UNITS; units < CLASSES; units++) {
            int stride = units << UNIT_SHIFT;
            for (int h = 0; h + stride <= PAGE; h += stride) {
                int g = (h + HEADER) >>> UNIT_SHIFT;
                STARTS[units * STARTS_LONGS + g / Long.SIZE] |= 1L << (g % Long.SIZE);
            }
        }
    }

    private RequiredPoolWork() {
    }

    /** The kernel's run state: 0 while it runs. */
    static final class KernelState {
        volatile int runState;
    }

    /** A thread's record for its kernel, as {@code ThreadPools}. */
    static final class Record {
        final Thread owner;
        final KernelState kernel;
        Cache nonPaged;

        Record(Thread owner, KernelState kernel) {
            this.owner = owner;
            this.kernel = kernel;
        }
    }

    /** One class's stack and constants, as {@code ClassStack}. */
    static final class Stack {
        final long[] blocks = new long[32];
        int depth;
        final int stride;
        final int freeUlong1First;
        final int freeUlong1Other;

        Stack(int units) {
            stride = units << UNIT_SHIFT;
            freeUlong1First = units << POOL_HEADER.BLOCK_SIZE_SHIFT;
            freeUlong1Other = freeUlong1First | units << POOL_HEADER.PREVIOUS_SIZE_SHIFT;
        }
    }

    /** One tag's counters, as {@code TagCount}. */
    static final class Counts {
        long allocs;
        long frees;
        long bytes;
    }

    /** A thread's cache of one pool, with its last chunk's fields, as {@code ThreadCache}. */
    static final class Cache {
        final Stack[] classes = new Stack[CLASSES];
        long chunkBase;
        long chunkSize;
        MemorySegment chunkSegment;
        int[] chunkInfo;
        short[] chunkPageKind;
        int lastTag;
        Counts lastCount;
    }

    /**
     * Sets up the calling thread's record and cache over a fresh chunk of {@code pages} pages, all carved
     * into blocks of {@code bytes}, every block on the class's stack (up to its capacity).
     */
    static void setUp(Arena arena, int pages, long bytes, int tag) {
        Thread t = Thread.currentThread();
        Record r = new Record(t, new KernelState());
        Cache c = new Cache();
        MemorySegment chunk = arena.allocate(pages * PAGE, PAGE);
        c.chunkBase = chunk.address();
        c.chunkSize = chunk.byteSize();
        c.chunkSegment = chunk;
        c.chunkInfo = new int[(int) (chunk.byteSize() >>> UNIT_SHIFT)];
        c.chunkPageKind = new short[pages];
        int units = Math.max((int) ((bytes + HEADER + (1 << UNIT_SHIFT) - 1) >>> UNIT_SHIFT), MIN_UNITS);
        Stack s = new Stack(units);
        c.classes[units] = s;
        for (int p = 0; p < pages; p++) {
            c.chunkPageKind[p] = (short) units;
            for (int h = 0; h + s.stride <= PAGE; h += s.stride) {
                long off = p * PAGE + h + HEADER;
                chunk.set(WORD, off + HEAD, word(h == 0 ? s.freeUlong1First : s.freeUlong1Other, tag));
                if (s.depth < s.blocks.length) {
                    s.blocks[s.depth++] = c.chunkBase + off;
                }
            }
        }
        c.lastTag = tag;
        c.lastCount = new Counts();
        r.nonPaged = c;
        BY_THREAD[(int) t.threadId() & (TABLE_SIZE - 1)] = r;
        only = r;
    }

    /** The cache {@link #setUp} made last (for tests). */
    static Cache lastCache() {
        return only.nonPaged;
    }

    /** The calling thread's record (the lookup every DDI call makes), or an exception. */
    private static Record record() {
        if (!LOOKUP) {
            return only;
        }
        Thread t = Thread.currentThread();
        Record r = BY_THREAD[(int) t.threadId() & (TABLE_SIZE - 1)];
        if (r == null || r.owner != t || r.kernel.runState != 0) { // volatile read: stops calls after close()
            throw new IllegalStateException("no kernel on this thread");
        }
        return r;
    }

    private static long word(int ulong1, int tag) {
        return (ulong1 & 0xFFFF_FFFFL) | (long) tag << Integer.SIZE;
    }

    /** The required work of {@code ExAllocatePool2(flags, bytes, tag)} for a small non-paged block. */
    static MemorySegment allocate(long flags, long bytes, int tag) {
        // The DDI's checks (Pools.allocatePool2): a tag, exactly one pool, no unknown required flag.
        long required = flags & PoolFlags.POOL_FLAG_REQUIRED_MASK;
        boolean paged = (required & PoolFlags.POOL_FLAG_PAGED) != 0;
        boolean nonPaged = (required & (PoolFlags.POOL_FLAG_NON_PAGED | PoolFlags.POOL_FLAG_NON_PAGED_EXECUTE)) != 0;
        if (FLAGS && (tag == 0 || paged == nonPaged || (required & UNSUPPORTED) != 0)) {
            throw new IllegalArgumentException("flags");
        }
        if (FLAGS && paged) {
            throw new UnsupportedOperationException("the model has a non-paged pool only");
        }
        Cache c = record().nonPaged;
        if (bytes <= 0 || bytes > MAX_SMALL) {
            throw new IllegalArgumentException("size");
        }
        int cls = Math.max((int) ((bytes + HEADER + (1 << UNIT_SHIFT) - 1) >>> UNIT_SHIFT), MIN_UNITS);
        Stack s = c.classes[cls];
        if (s == null || s.depth == 0) {
            throw new IllegalStateException("refill");
        }
        long p = s.blocks[--s.depth];
        long off = p - c.chunkBase;
        if (CHUNK && (off >= c.chunkSize || off < 0)) {
            throw new IllegalStateException("another chunk");
        }
        MemorySegment seg = c.chunkSegment;
        int headerInPage = (int) ((off - HEADER) & (PAGE - 1));
        int ulong1 = (headerInPage == 0 ? s.freeUlong1First : s.freeUlong1Other) | ALLOCATED;
        if (HEADER_ACCESS) {
            seg.set(WORD, off + HEAD, word(ulong1, tag));
        }
        if (INFO) {
            c.chunkInfo[(int) (off >>> UNIT_SHIFT)] = (int) bytes; // the requested size (owner 0)
        }
        if ((flags & PoolFlags.POOL_FLAG_UNINITIALIZED) == 0) {
            seg.asSlice(off, bytes).fill((byte) 0);
        }
        if (COUNTS) {
            Counts n = tag == c.lastTag ? c.lastCount : null;
            if (n == null) {
                throw new IllegalStateException("another tag");
            }
            COUNT.setOpaque(n, n.allocs + 1); // opaque: single writer, racy readers (as TagCount)
            BYTES.setOpaque(n, n.bytes + s.stride);
        }
        return seg.asSlice(off, bytes);
    }

    /** The required work of {@code ExFreePoolWithTag(block, tag)} for a small block. */
    static void free(MemorySegment block, int tag) {
        long p = block.address();
        Cache c = record().nonPaged;
        long off = p - c.chunkBase;
        if (CHUNK && (off >= c.chunkSize || off < 0)) {
            throw new IllegalStateException("0x42: not in the pool");
        }
        int inPage = (int) (off & (PAGE - 1));
        int cls = c.chunkPageKind[(int) (off >>> 12)];
        if (BLOCK && (cls <= 0 || cls >= CLASSES || (inPage & 15) != 0
                || (STARTS[cls * STARTS_LONGS + (inPage >>> UNIT_SHIFT) / Long.SIZE] >>> ((inPage >>> UNIT_SHIFT) % Long.SIZE) & 1) == 0)) {
            throw new IllegalStateException("0x46: not a block");
        }
        Stack s = c.classes[cls];
        MemorySegment seg = c.chunkSegment;
        int blockTag = tag;
        if (HEADER_ACCESS) {
            long head = seg.get(WORD, off + HEAD);
            int ulong1 = (int) head;
            int expected = ((inPage - HEADER) == 0) ? s.freeUlong1First : s.freeUlong1Other;
            if ((ulong1 & ~POOL_TYPE_FIELD) != expected || (ulong1 & POOL_TYPE_FIELD) == 0) {
                throw new IllegalStateException("0x07: bad header or freed twice");
            }
            blockTag = (int) (head >>> Integer.SIZE);
            if (tag != blockTag && (tag != 0 || blockTag < 0)) {
                throw new IllegalStateException("0x0A: wrong tag");
            }
            seg.set(ULONG, off + HEAD, expected);
        }
        if (COUNTS) {
            Counts n = blockTag == c.lastTag ? c.lastCount : null;
            if (n == null) {
                throw new IllegalStateException("another tag");
            }
            FREES.setOpaque(n, n.frees + 1); // opaque: as above
            BYTES.setOpaque(n, n.bytes - s.stride);
        }
        if (s.depth == s.blocks.length) {
            throw new IllegalStateException("spill");
        }
        s.blocks[s.depth++] = p;
    }

    private static final VarHandle COUNT;
    private static final VarHandle FREES;
    private static final VarHandle BYTES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            COUNT = l.findVarHandle(Counts.class, "allocs", long.class);
            FREES = l.findVarHandle(Counts.class, "frees", long.class);
            BYTES = l.findVarHandle(Counts.class, "bytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
