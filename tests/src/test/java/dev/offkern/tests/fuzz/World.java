package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The objects of one fuzzing epoch (one booted kernel): live DDI objects of every kind, shared by
 * both fuzzing threads or private to one, and the <em>bystanders</em>.
 *
 * <p>Every live object is a pool block allocated right before a bystander block of the same size,
 * so that the two are neighbours in one page: a call that writes past the end of a live object
 * (or through a pointer to a pool header) hits a bystander. Bystanders hold random bytes; the
 * fuzzer never passes them, nor any pointer into them, to a routine, and never frees them; after
 * every step {@link #checkBystanders} compares each one, its POOL_HEADER included, with its
 * snapshot. A difference is memory corrupted by a call that did not own it.
 *
 * <p>Shared objects of the blocking kinds (spin locks, mutexes) are only used by balanced
 * operations with valid arguments (so no thread can block forever on them); corruption and
 * misuse go to the private objects of the calling thread, which are replaced afterwards.
 */
final class World {
    /** Tag of the fuzzer's live blocks: "Fuzz". */
    static final int TAG = PoolTags.tag("Fuzz");
    /** Tag of the bystanders: "Byst". */
    static final int BYSTANDER_TAG = PoolTags.tag("Byst");
    /** Bytes of a POOL_HEADER before a small block. */
    static final int POOL_HEADER_SIZE = 16;

    /** The kinds of live objects. */
    enum Kind {
        SLIST_HEADER, SLIST_ENTRY, LOOKASIDE_EX, NPAGED_LOOKASIDE, PAGED_LOOKASIDE, RUNDOWN, RUNDOWN_CACHE_AWARE,
        FAST_MUTEX, GUARDED_MUTEX, SPIN_LOCK, QUEUE_HANDLE, EVENT, SEMAPHORE, BITMAP, RUN_ONCE, CALLBACK_RECORD,
        REASON_CALLBACK_RECORD, BLOCK, WAIT_BLOCKS, XSTATE_SAVE, FLOATING_SAVE
    }

    record Bystander(long address, MemorySegment view, byte[] snapshot) {
    }

    final Kernel kernel;
    final long epochSeed;
    final int threads;
    /** Taken shared by every fuzzer access to pool memory, exclusively by Kernel.close(): the fuzzer's own reads never race the unmapping. */
    final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
    final Map<Kind, List<MemorySegment>> shared = new EnumMap<>(Kind.class);
    /** private_.get(thread).get(kind): objects only that thread uses. */
    final List<Map<Kind, List<MemorySegment>>> private_ = new ArrayList<>();
    final List<Bystander> bystanders = new CopyOnWriteArrayList<>();
    /** Block address to its size, for every live fuzzer block (never a bystander): scribble targets. */
    final Map<Long, Long> fuzzBlocks = new ConcurrentHashMap<>();
    /** SLIST entries by address (blocks of 32 bytes, never freed). */
    final Map<Long, MemorySegment> entries = new ConcurrentHashMap<>();
    /** The entries each thread starts with. */
    final List<List<MemorySegment>> initialEntries = new ArrayList<>();
    /** Entry address to the thread that owns it while it is on no list. */
    final Map<Long, Integer> entryOwners = new ConcurrentHashMap<>();
    /** Block size of each live lookaside list, by list address. */
    final Map<Long, Long> lookasideSizes = new ConcurrentHashMap<>();
    /** Native memory outside the kernel's address space. */
    final List<MemorySegment> foreign = new ArrayList<>();
    /** Bitmap buffers by bitmap header address (bits, buffer). */
    final Map<Long, MemorySegment> bitmapBuffers = new ConcurrentHashMap<>();
    private final SplittableRandom setupRandom;
    volatile boolean closed;

    World(Kernel kernel, long epochSeed, int threads) {
        this.kernel = kernel;
        this.epochSeed = epochSeed;
        this.threads = threads;
        this.setupRandom = new SplittableRandom(epochSeed ^ 0x5DEECE66DL);
        for (Kind k : Kind.values()) {
            shared.put(k, new CopyOnWriteArrayList<>());
        }
        for (int t = 0; t < threads; t++) {
            Map<Kind, List<MemorySegment>> m = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                m.put(k, new CopyOnWriteArrayList<>());
            }
            private_.add(m);
            initialEntries.add(new ArrayList<>());
        }
        Arena auto = Arena.ofAuto();
        for (int i = 0; i < 4; i++) {
            foreign.add(auto.allocate(256, 64));
        }
    }

    /** A block of {@code size} bytes from the non-paged pool, followed by a bystander of the same size. */
    MemorySegment allocate(long size) {
        MemorySegment live = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, TAG);
        if (live.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer setup: the pool refused " + size + " bytes");
        }
        fuzzBlocks.put(live.address(), size);
        addBystander(size);
        return live;
    }

    void addBystander(long size) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, BYSTANDER_TAG);
        byte[] fill = new byte[(int) size];
        setupRandom.nextBytes(fill);
        MemorySegment.copy(fill, 0, b, JAVA_BYTE, 0, fill.length);
        boolean small = size <= 4064;
        long start = small ? b.address() - POOL_HEADER_SIZE : b.address();
        long length = small ? size + POOL_HEADER_SIZE : size;
        MemorySegment view = kernel.addressSpace().resolve(start, length);
        bystanders.add(new Bystander(b.address(), view, view.toArray(JAVA_BYTE)));
    }

    /** Adds a live object of {@code kind} to the shared set (thread < 0) or to a thread's private set. */
    void add(Kind kind, int thread, MemorySegment object) {
        (thread < 0 ? shared.get(kind) : private_.get(thread).get(kind)).add(object);
    }

    List<MemorySegment> shared(Kind kind) {
        return shared.get(kind);
    }

    List<MemorySegment> own(Kind kind, int thread) {
        return private_.get(thread).get(kind);
    }

    /**
     * Compares every bystander with its snapshot.
     *
     * @return a description of the first bystander found changed, or null
     */
    String checkBystanders() {
        closeLock.readLock().lock();
        try {
            if (closed) {
                return null;
            }
            for (Bystander b : bystanders) {
                byte[] now = b.view.toArray(JAVA_BYTE);
                int i = Arrays.mismatch(now, b.snapshot);
                if (i >= 0) {
                    long at = b.view.address() + i;
                    String region = at < b.address ? "its POOL_HEADER" : "its payload";
                    String msg = String.format("bystander block 0x%x (%d bytes) changed at 0x%x (%s, offset %d): %s (was %s)",
                            b.address, b.snapshot.length - (b.view.address() < b.address ? POOL_HEADER_SIZE : 0), at,
                            region, at - b.address, hex(now, i), hex(b.snapshot, i));
                    // Re-snapshot so one corruption is reported once.
                    bystanders.remove(b);
                    return msg;
                }
            }
            return null;
        } finally {
            closeLock.readLock().unlock();
        }
    }

    private static String hex(byte[] bytes, int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < Math.min(bytes.length, from + 16); i++) {
            sb.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return sb.toString();
    }

    /** Whether {@code [address, address + size)} touches a bystander or its header. */
    boolean touchesBystander(long address, long size) {
        for (Bystander b : bystanders) {
            long s = b.view.address();
            long e = s + b.view.byteSize();
            if (address < e && s < address + size) {
                return true;
            }
        }
        return false;
    }
}
