package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ob.OBJECT_HEADER;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.mm.AddressSpace;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.Pool;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * {@code OBJECT_HEADER.SecurityDescriptor} of objects whose type has no security procedure of its
 * own (Windows' SeDefaultObjectMethod): an EX_FAST_REF, as Windows x64 stores it — the address of a
 * self-relative SECURITY_DESCRIPTOR (16-aligned) with, in its low 4 bits, a reserve of references
 * for lock-free takers. A tool that masks the low 4 bits off reads the object's descriptor.
 * <pre>
 *  63                                                       4 3        0
 * +---------------------------------------------------------+----------+
 * | SECURITY_DESCRIPTOR_RELATIVE * (16-aligned)             | RefCnt   |
 * +---------------------------------------------------------+----------+
 *
 * the block (non-paged pool, tag 'ObSc'):
 *   +0x00 LONG64 RefCount     (offkern's; Windows keeps it in its descriptor cache's header)
 *   +0x08 ULONG  Length       (of the descriptor)
 *   +0x0C ULONG  Cookie       (the descriptor's address XOR a per-kernel secret: what ObReleaseObjectSecurity checks)
 *   +0x10 SECURITY_DESCRIPTOR_RELATIVE ...   &lt;- the word points here
 * </pre>
 *
 * <p><b>Invariant.</b> While a header word names a descriptor, the block's RefCount includes 1 (the
 * word's own reference) + RefCnt (the reserve) + every reference handed out and not yet released.
 * A taker that decrements RefCnt by CAS owns one reserve reference (linearization point: that CAS).
 * With RefCnt 0 the taker goes to the slow path: under the header's stripe lock it adds 1 + 15 to
 * RefCount (alive: the word's own reference is dropped only under the same lock) and refills the
 * word. {@link #replace} swaps the word under the stripe lock and then drops the old word's 1 +
 * RefCnt; the block is freed by whoever drops RefCount to 0. A block is never reused while a
 * reference to it is held, so a reader that took a reference reads a stable descriptor: descriptors
 * never change in place (a new security is a new block).
 *
 * <p>Windows shares identical descriptors between objects (its descriptor cache, hashed); offkern
 * gives each object its own block, from the pool's segregated memory when it is a small block (so no
 * caller's stale pointer into pool it freed can corrupt a RefCount). The blocks are non-paged (Windows' cache is paged) because
 * offkern deletes objects inline at the last dereference, which may run at DISPATCH_LEVEL.
 *
 * <p>Progress: {@link #reference} is lock-free while the reserve lasts (one CAS), blocking once per
 * 16 takes of one object; {@link #release} is wait-free (one atomic add; the free takes the pool's
 * path); {@link #replace} blocks on the stripe lock.
 */
final class HeaderSecurity {
    /** MAX_FAST_REFS on x64: the low 4 bits. */
    static final long MAX_FAST_REFS = 15;
    private static final long COUNT_MASK = MAX_FAST_REFS;
    /** Bytes of the block before the descriptor. */
    static final long PREFIX = 16;
    private static final long REF_COUNT = 0;
    private static final long LENGTH = 8;
    private static final long COOKIE = 12;
    /** The pool tag of descriptor blocks ('ObSc', Windows' tag for its security descriptor cache). */
    static final int TAG = PoolTags.tag("ObSc");
    private static final int STRIPES = 64;

    private final Pool pool;
    private final AddressSpace space;
    private final Object[] stripes = new Object[STRIPES];
    /** XORed into each block's Cookie, so a pointer that merely looks like a block is refused. */
    private final int secret = new java.util.SplittableRandom().nextInt() | 1;

    HeaderSecurity(Pool pool, AddressSpace space) {
        this.pool = pool;
        this.space = space;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    private Object stripe(long header) {
        return stripes[(int) ((header >>> 4) ^ (header >>> 10)) & (STRIPES - 1)];
    }

    /** The lock setters of the object at {@code header} hold around read-merge-replace (ObpLockObject's role for them). */
    Object setterLock(long header) {
        return stripe(header);
    }

    /**
     * A new block holding a copy of the {@code length}-byte descriptor {@code sd}; returns the word that
     * names it with a full reserve (RefCount 1 + 15), or 0 when the pool is exhausted.
     */
    long newWord(MemorySegment sd, long length) {
        // Segregated (type-stable) memory when the block is small: a caller's stale pointer to pool it freed
        // must never name a descriptor block, whose RefCount every process and thread's life goes through.
        long block = PREFIX + length <= Pool.MAX_SEGREGATED_BYTES ? pool.allocateSegregated(PREFIX + length, TAG)
                : pool.allocate(PREFIX + length, TAG, 0);
        if (block == 0) {
            return 0;
        }
        MemorySegment b = space.resolve(block, PREFIX + length);
        b.set(JAVA_LONG, REF_COUNT, 1 + MAX_FAST_REFS);
        b.set(JAVA_INT, LENGTH, (int) length);
        long address = block + PREFIX;
        b.set(JAVA_INT, COOKIE, cookie(address));
        MemorySegment.copy(sd, 0, b, PREFIX, length);
        if ((address & COUNT_MASK) != 0) {
            pool.free(block, TAG);
            throw new IllegalStateException("a pool block for a security descriptor is not 16-aligned: 0x" + Long.toHexString(block));
        }
        return address | MAX_FAST_REFS;
    }

    private int cookie(long sd) {
        return (int) (sd ^ (sd >>> 32)) ^ secret;
    }

    /** Whether {@code sd} is the descriptor of a live block of this kind (16-aligned, in a live pool block, its Cookie right). */
    boolean isDescriptor(long sd) {
        long block = sd - PREFIX;
        if ((sd & COUNT_MASK) != 0 || sd < PREFIX || pool.liveBytesAt(block) < PREFIX) {
            return false;
        }
        MemorySegment b = space.resolve(block, PREFIX);
        return b.get(JAVA_INT, COOKIE) == cookie(sd) && pool.liveBytesAt(block) >= PREFIX + Integer.toUnsignedLong(b.get(JAVA_INT, LENGTH));
    }

    /** The length of the descriptor at {@code sd} (a block's). */
    long length(long sd) {
        return Integer.toUnsignedLong(space.resolve(sd - PREFIX, PREFIX).get(JAVA_INT, LENGTH));
    }

    /** A segment over the descriptor at {@code sd} (a block's). */
    MemorySegment segment(long sd) {
        return space.resolve(sd, length(sd));
    }

    /** The descriptor the header word names, without a reference (0: none); for diagnostics. */
    static long peek(MemorySegment s, long headerOff) {
        return (long) WORD.getVolatile(s, headerOff + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET) & ~COUNT_MASK; // volatile read
    }

    /**
     * The requested size of the block the header word names (PREFIX + the descriptor's length) when
     * its RefCount is exactly the word's own 1 + RefCnt (nobody else holds it), else 0. A racy snapshot:
     * for the close-time accounting only, when no call runs any more.
     */
    long blockHeldByWordOnly(MemorySegment s, long headerOff) {
        long v = (long) WORD.getVolatile(s, headerOff + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET); // volatile read
        long sd = v & ~COUNT_MASK;
        if (sd == 0) {
            return 0;
        }
        long block = sd - PREFIX;
        Region r = space.regionOf(block, PREFIX);
        long count = (long) COUNT.getVolatile(r.segment(), r.offsetOf(block) + REF_COUNT); // volatile read
        return count == 1 + (v & COUNT_MASK) ? PREFIX + length(sd) : 0;
    }

    /** {@code ObpReferenceSecurityDescriptor}: a reference on the object's descriptor, or 0 if it has none. */
    long reference(MemorySegment s, long headerOff, long header) {
        long field = headerOff + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET;
        while (true) {
            long v = (long) WORD.getVolatile(s, field); // volatile: pairs with the CASes and the swaps
            long sd = v & ~COUNT_MASK;
            if (sd == 0) {
                return 0;
            }
            if ((v & COUNT_MASK) == 0) {
                return referenceSlow(s, field, header);
            }
            if (WORD.compareAndSet(s, field, v, v - 1)) { // volatile CAS: linearization point, one reserve reference is the caller's
                return sd;
            }
        }
    }

    private long referenceSlow(MemorySegment s, long field, long header) {
        synchronized (stripe(header)) {
            while (true) {
                long v = (long) WORD.getVolatile(s, field); // volatile: replace changes it under this lock only
                long sd = v & ~COUNT_MASK;
                if (sd == 0) {
                    return 0;
                }
                if ((v & COUNT_MASK) != 0) {
                    if (WORD.compareAndSet(s, field, v, v - 1)) { // volatile CAS: refilled meanwhile; take from the reserve
                        return sd;
                    }
                    continue; // another taker's CAS won: re-read
                }
                add(sd, 1 + MAX_FAST_REFS); // ours + a new reserve (alive: the word's own reference is dropped only under this lock)
                if (!WORD.compareAndSet(s, field, v, sd | MAX_FAST_REFS)) { // volatile CAS: refill; with RefCnt 0 no taker CASes
                    add(sd, -MAX_FAST_REFS); // cannot happen (replace holds this lock); kept for safety
                }
                return sd;
            }
        }
    }

    /** Releases one reference taken by {@link #reference} (ObDereferenceSecurityDescriptor). */
    void release(long sd) {
        add(sd, -1);
    }

    /**
     * Installs {@code word} (from {@link #newWord}, or 0) in the header and gives up the references the
     * previous word held. Returns the previous descriptor (0: none; possibly freed already).
     */
    long replace(MemorySegment s, long headerOff, long header, long word) {
        long field = headerOff + OBJECT_HEADER.SECURITY_DESCRIPTOR_OFFSET;
        long old;
        synchronized (stripe(header)) {
            old = (long) WORD.getAndSet(s, field, word); // volatile swap: no taker finds the old descriptor after this
        }
        long sd = old & ~COUNT_MASK;
        if (sd != 0) {
            add(sd, -(1 + (old & COUNT_MASK)));
        }
        return sd;
    }

    /** RefCount += n; frees the block when it reaches 0. */
    private void add(long sd, long n) {
        long block = sd - PREFIX;
        Region r = space.regionOf(block, PREFIX);
        long now = (long) COUNT.getAndAdd(r.segment(), r.offsetOf(block) + REF_COUNT, n) + n; // volatile add: the one that reaches 0 frees
        if (now == 0) {
            pool.free(block, TAG);
        } else if (now < 0) {
            throw new IllegalStateException("the reference count of the security descriptor at 0x" + Long.toHexString(sd)
                    + " fell below 0 (ObReleaseObjectSecurity called once too often)");
        }
    }

    // ===== VarHandle mechanics =====
    /** OBJECT_HEADER.SecurityDescriptor (EX_FAST_REF): owned here; CAS and swaps, all volatile. */
    private static final VarHandle WORD = JAVA_LONG.varHandle();
    /** The block's RefCount: owned here; volatile adds. */
    private static final VarHandle COUNT = JAVA_LONG.varHandle();
}
