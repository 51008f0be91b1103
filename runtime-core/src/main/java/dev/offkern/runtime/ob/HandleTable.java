package dev.offkern.runtime.ob;

import dev.offkern.nt.NtStatus;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongConsumer;

/**
 * One process's handle table: handle value → (object, granted access, attributes), with lock-free
 * O(1) lookup. The system process's table holds the kernel handles (OBJ_KERNEL_HANDLE); a later
 * process manager gives every EPROCESS one of these ({@code EPROCESS.ObjectTable} points at
 * Windows' HANDLE_TABLE; offkern's table is runtime-private Java memory).
 *
 * <h2>Handle values</h2>
 * Entry {@code i} (1, 2, ...) is handle value {@code i * 4}, as Windows forms them (the low two bits
 * are free for the caller's tag bits, which lookups ignore); a kernel handle is the same value with
 * the sign bits set ({@code 0xFFFFFFFF80000000 | i * 4} on x64), so {@code (LONG)h < 0}. Value 0 is
 * never a handle (NULL). A value is entered in the free list only after its close, so it is never
 * reused while open.
 *
 * <h2>Entries (the bits of Windows' HANDLE_TABLE_ENTRY on x64)</h2>
 * <pre>
 * word 0 (LowValue):  63            20 19    17 16          1   0
 *                    +----------------+--------+-------------+---+
 *                    | header >>> 4   | Attrib | RefCnt      | U |   U = Unlocked, 0 for a free entry
 *                    +----------------+--------+-------------+---+
 * word 1 (HighValue): 63        40 39      32 31    25 24                0
 *                    +------------+----------+--------+-------------------+
 *                    | generation | TypeIdx  | 0      | GrantedAccessBits |
 *                    +------------+----------+--------+-------------------+
 * </pre>
 * A free entry's word 0 is 0. The object pointer is the OBJECT_HEADER's address (16-aligned) shifted
 * right by 4, as Windows 8+ stores it. Word 1's high half is offkern's (Windows keeps it spare):
 * the object's type index, copied from its header at creation so that a type-checked lookup needs
 * no header read, and {@code generation}, which counts the entry's creations (24 bits: a lookup
 * would have to overlap 2^24 close/reopen cycles of one entry to be fooled).
 *
 * <h2>References cached in the entry (Windows 8+'s design)</h2>
 * A handle owns one reference on its object plus {@code RefCnt} more, charged to the object's
 * PointerCount in advance. {@link #reference} takes one of them with one CAS on word 0 (RefCnt − 1)
 * and never touches the object header; the caller's ObDereferenceObject later returns it to the
 * PointerCount. When RefCnt is 0 the lookup locks the entry (clears U), charges {@link #BATCH} more
 * references to the object (alive: the handle's own reference holds it) and unlocks with RefCnt =
 * BATCH − 1. Closing swaps word 0 to 0 and drops 1 + RefCnt references.
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>{@link #reference}: lock-free except the refill above (once per {@link #BATCH} lookups of one
 *       handle: the entry is locked across one atomic add, and a reader of that entry spins
 *       meanwhile). Linearizes at its CAS on word 0. Word 1 is read before and after the CAS: if it
 *       changed, the entry was closed and reopened meanwhile, so the reference taken (genuine, on the
 *       object word 0 named) is given back and the lookup retries — the access it reports is always
 *       that of the handle whose reference it took.</li>
 *   <li>{@link #create}, {@link #close}: serialized by this table's monitor (the free list), and the
 *       entry CAS/release store publishes to lock-free readers. Create writes word 1 (release) before
 *       word 0 (release): a reader that sees the new word 0 sees the new generation.</li>
 *   <li>Pages: a directory of {@link #PAGE_ENTRIES}-entry pages, each installed once (release) and
 *       never removed while the table lives; a lookup is a directory load, a page load and two entry
 *       loads.</li>
 * </ul>
 */
public final class HandleTable {
    /** Entries per page (a page is {@code long[2 * PAGE_ENTRIES]}). */
    static final int PAGE_SHIFT = 9;
    static final int PAGE_ENTRIES = 1 << PAGE_SHIFT;
    /** At most 2^24 - 1 handles per table (Windows' limit: 16M). */
    public static final int MAX_ENTRIES = 1 << 24;
    /** References charged to the object at each refill of an entry's cache (RefCnt is 16 bits). */
    public static final int BATCH = 0x7FFF;
    /** The high bits of a kernel handle on x64. */
    public static final long KERNEL_HANDLE_BITS = 0xFFFFFFFF80000000L;

    static final long UNLOCKED = 1L;
    static final int REFCNT_SHIFT = 1;
    static final long REFCNT_ONE = 1L << REFCNT_SHIFT;
    static final long REFCNT_MASK = 0xFFFFL << REFCNT_SHIFT;
    static final int ATTR_SHIFT = 17;
    static final long ATTR_MASK = 0x7L << ATTR_SHIFT;
    static final int POINTER_SHIFT = 20;
    static final long ACCESS_MASK = (1L << 25) - 1;
    static final int TYPE_SHIFT = 32;
    static final int GENERATION_SHIFT = 40;

    private final ObjectManager objects;
    private final boolean kernelTable;
    private final long[][] directory = new long[MAX_ENTRIES >>> PAGE_SHIFT][];
    /** Guarded by this: the next never-used entry, and the stack of closed entries. */
    private int nextUnused = 1;
    private int[] free = new int[64];
    private int freeCount;
    private int open;
    /** Guarded by this: set once by {@link #rundown} (its process ended); no handle may be created after. */
    private boolean runDown;

    HandleTable(ObjectManager objects, boolean kernelTable) {
        this.objects = objects;
        this.kernelTable = kernelTable;
    }

    /** Whether this is the system process's table (its handle values carry the kernel bits). */
    public boolean isKernelTable() {
        return kernelTable;
    }

    /**
     * The handle value of entry {@code index}: with the kernel bits for a kernel handle (only the
     * system process's table has them; there the same entry is also reachable without the bits by
     * the system process's own threads, as on Windows).
     */
    long handleOf(int index, boolean kernelHandle) {
        long v = (long) index << 2;
        return kernelHandle ? v | KERNEL_HANDLE_BITS : v;
    }

    /** The entry index a handle value names (its tag bits and kernel bits dropped), or -1 if out of range. */
    static int indexOf(long handle) {
        long v = handle & ~KERNEL_HANDLE_BITS;
        if ((handle & KERNEL_HANDLE_BITS) != 0 && (handle & KERNEL_HANDLE_BITS) != KERNEL_HANDLE_BITS) {
            return -1;
        }
        long i = v >>> 2;
        return i <= 0 || i >= MAX_ENTRIES ? -1 : (int) i;
    }

    /** Whether {@code handle} has the kernel bits. */
    static boolean isKernelHandle(long handle) {
        return (handle & KERNEL_HANDLE_BITS) == KERNEL_HANDLE_BITS;
    }

    /** Open handles in this table. */
    public synchronized int openCount() {
        return open;
    }

    // ----- create / close (the table's monitor) -----

    /**
     * Enters a handle to the object whose header is at {@code header}; the caller has already charged
     * the handle's own reference. Returns the entry index, 0 if the table is full, or -1 if it has
     * been run down (its process ended).
     */
    synchronized int create(long header, int grantedAccess, int attributes, int typeIndex) {
        if (runDown) {
            return -1;
        }
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
        } else {
            if (nextUnused >= MAX_ENTRIES) {
                return 0;
            }
            index = nextUnused++;
        }
        long[] page = directory[index >>> PAGE_SHIFT];
        if (page == null) {
            page = new long[2 * PAGE_ENTRIES];
            DIR.setRelease(directory, index >>> PAGE_SHIFT, page); // release: the zeroed page before readers can reach it
        }
        int slot = (index & (PAGE_ENTRIES - 1)) << 1;
        long generation = ((long) ENTRY.getVolatile(page, slot + 1) >>> GENERATION_SHIFT) + 1;
        ENTRY.setRelease(page, slot + 1, (generation << GENERATION_SHIFT) | ((long) (typeIndex & 0xFF) << TYPE_SHIFT)
                | (grantedAccess & ACCESS_MASK)); // release: word 1 before word 0 below
        ENTRY.setRelease(page, slot, (header >>> 4) << POINTER_SHIFT | ((long) (attributes & 7) << ATTR_SHIFT) | UNLOCKED); // release: publishes the entry (linearization of create)
        open++;
        return index;
    }

    /** What {@link #close} removed: the object's header, the handle's access and attributes, and the references it held. */
    record Closed(long header, int grantedAccess, int attributes, int references) {
    }

    /** Result of {@link #close} for an entry that holds OBJ_PROTECT_CLOSE and was left open. */
    static final Closed PROTECTED = new Closed(0, 0, 0, 0);

    /**
     * Removes entry {@code index}: the removed entry, {@link #PROTECTED} (left open) if it has
     * OBJ_PROTECT_CLOSE and {@code honourProtect}, or null if it is not open.
     */
    synchronized Closed close(int index, boolean honourProtect) {
        long[] page = page(index);
        if (page == null) {
            return null;
        }
        int slot = (index & (PAGE_ENTRIES - 1)) << 1;
        for (;;) {
            long w0 = (long) ENTRY.getVolatile(page, slot);
            if (w0 == 0) {
                return null;
            }
            if ((w0 & UNLOCKED) == 0) {
                Thread.onSpinWait(); // a reader is refilling the entry's references: two atomic steps
                continue;
            }
            int attributes = (int) ((w0 & ATTR_MASK) >>> ATTR_SHIFT);
            if (honourProtect && (attributes & dev.offkern.nt.ObjectAttributes.OBJ_PROTECT_CLOSE) != 0) {
                return PROTECTED;
            }
            long w1 = (long) ENTRY.getVolatile(page, slot + 1);
            if (ENTRY.compareAndSet(page, slot, w0, 0L)) { // volatile CAS: linearization of close; readers' CAS on w0 now fails
                if (freeCount == free.length) {
                    free = java.util.Arrays.copyOf(free, free.length * 2);
                }
                free[freeCount++] = index;
                open--;
                return new Closed(headerOf(w0), (int) (w1 & ACCESS_MASK), attributes, 1 + (int) ((w0 & REFCNT_MASK) >>> REFCNT_SHIFT));
            }
        }
    }

    /**
     * Closes every open entry at once and refuses later creations (the process's end: Windows'
     * ObKillProcess); returns what was removed, OBJ_PROTECT_CLOSE or not, for the caller to finish.
     * Lookups racing with it find each entry open (and take a genuine reference) or closed.
     */
    synchronized java.util.List<Closed> rundown() {
        runDown = true;
        java.util.List<Closed> out = new java.util.ArrayList<>();
        for (int p = 0; p < directory.length; p++) {
            if (directory[p] == null) {
                continue;
            }
            for (int e = 0; e < PAGE_ENTRIES; e++) {
                int index = (p << PAGE_SHIFT) | e;
                if (index == 0) {
                    continue;
                }
                Closed c = close(index, false); // reentrant monitor
                if (c != null) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    /** Whether {@link #rundown} has run. */
    public synchronized boolean isRunDown() {
        return runDown;
    }

    // ----- lookup (lock-free) -----

    /** {@code desired} with generic rights mapped through the type of the handle whose word 1 is {@code w1}. */
    private int want(int desired, long w1) {
        if ((desired & GENERIC) == 0) {
            return desired;
        }
        ObjectType t = objects.type((int) ((w1 >>> TYPE_SHIFT) & 0xFF));
        return t == null ? desired : t.mapGeneric(desired);
    }

    private static final int GENERIC = dev.offkern.nt.AccessMask.GENERIC_READ | dev.offkern.nt.AccessMask.GENERIC_WRITE
            | dev.offkern.nt.AccessMask.GENERIC_EXECUTE | dev.offkern.nt.AccessMask.GENERIC_ALL;

    /**
     * Takes a reference on the object of entry {@code index} for the caller. With {@code checkAccess},
     * {@code desiredAccess} must be a subset of the handle's granted access; with {@code typeIndex}
     * ≥ 0 the object must be of that type. Returns the object's header address (positive), or an
     * NTSTATUS (negative): STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED
     * (no reference kept). {@code info}, if not null, receives the granted access (low 32 bits) and
     * attributes (high 32 bits) of the handle the reference came from.
     */
    long reference(int index, int desiredAccess, boolean checkAccess, int typeIndex, long[] info) {
        long[] page = page(index);
        if (page == null) {
            return NtStatus.STATUS_INVALID_HANDLE;
        }
        int slot = (index & (PAGE_ENTRIES - 1)) << 1;
        for (;;) {
            long w1 = (long) ENTRY.getAcquire(page, slot + 1); // acquire: pairs with create's release of word 1
            long w0 = (long) ENTRY.getAcquire(page, slot); // acquire: pairs with create's release of word 0
            if (w0 == 0) {
                return NtStatus.STATUS_INVALID_HANDLE;
            }
            if ((w0 & UNLOCKED) == 0) {
                Thread.onSpinWait(); // another reader is refilling this entry
                continue;
            }
            int access = (int) (w1 & ACCESS_MASK);
            int refusal = typeIndex >= 0 && ((w1 >>> TYPE_SHIFT) & 0xFF) != typeIndex ? NtStatus.STATUS_OBJECT_TYPE_MISMATCH
                    : checkAccess && (want(desiredAccess, w1) & ~access) != 0 ? NtStatus.STATUS_ACCESS_DENIED : 0;
            if (refusal != 0) {
                // Decided on a consistent pair: word 1 re-read unchanged means w0/w1 belong to one handle.
                if ((long) ENTRY.getAcquire(page, slot + 1) == w1) {
                    return refusal;
                }
                continue;
            }
            long header = headerOf(w0);
            if ((w0 & REFCNT_MASK) == 0) {
                // Refill: lock the entry so no close can run, charge BATCH references (the handle's own
                // reference keeps the object alive), unlock with BATCH - 1 left: one is ours.
                if (!ENTRY.compareAndSet(page, slot, w0, w0 & ~UNLOCKED)) { // volatile CAS: lock
                    continue;
                }
                if ((long) ENTRY.getVolatile(page, slot + 1) != w1) {
                    ENTRY.setRelease(page, slot, w0); // a newer generation than our w1 snapshot: unlock unchanged, retry
                    continue;
                }
                objects.charge(header, BATCH);
                ENTRY.setRelease(page, slot, w0 | ((long) (BATCH - 1) << REFCNT_SHIFT)); // release: unlock, publishing the refill
            } else if (!ENTRY.compareAndSet(page, slot, w0, w0 - REFCNT_ONE)) { // volatile CAS: linearization of the lookup
                continue;
            } else if ((long) ENTRY.getAcquire(page, slot + 1) != w1) {
                // The entry was closed and reopened (with the same word 0) between our reads: the reference
                // is genuine but may belong to another handle's access; give it back and retry.
                objects.dereferenceHeader(header);
                continue;
            }
            if (info != null) {
                info[0] = ((long) ((w0 & ATTR_MASK) >>> ATTR_SHIFT) << 32) | (access & 0xFFFFFFFFL);
            }
            return header;
        }
    }

    /**
     * The header of entry {@code index} without taking a reference (for ZwDuplicateObject's
     * source and diagnostics; may be stale at once), or 0 if free; {@code info} as in {@link #reference}.
     */
    long peek(int index, long[] info) {
        long[] page = page(index);
        if (page == null) {
            return 0;
        }
        int slot = (index & (PAGE_ENTRIES - 1)) << 1;
        long w1 = (long) ENTRY.getAcquire(page, slot + 1); // acquire: as reference()
        long w0 = (long) ENTRY.getAcquire(page, slot);
        if (w0 == 0) {
            return 0;
        }
        if (info != null) {
            info[0] = ((long) ((w0 & ATTR_MASK) >>> ATTR_SHIFT) << 32) | (w1 & ACCESS_MASK);
        }
        return headerOf(w0);
    }

    /** Calls {@code action} with the handle value of every open entry (a racy snapshot). */
    void forEachOpen(LongConsumer action) {
        for (int p = 0; p < directory.length; p++) {
            long[] page = (long[]) DIR.getAcquire(directory, p);
            if (page == null) {
                continue;
            }
            for (int e = 0; e < PAGE_ENTRIES; e++) {
                if ((long) ENTRY.getAcquire(page, e << 1) != 0) {
                    action.accept(handleOf((p << PAGE_SHIFT) | e, kernelTable));
                }
            }
        }
    }

    private long[] page(int index) {
        return (long[]) DIR.getAcquire(directory, index >>> PAGE_SHIFT); // acquire: pairs with create's release of the page
    }

    static long headerOf(long w0) {
        return (w0 >>> POINTER_SHIFT) << 4;
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle DIR = MethodHandles.arrayElementVarHandle(long[][].class);
}
