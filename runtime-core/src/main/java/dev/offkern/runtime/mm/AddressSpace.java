package dev.offkern.runtime.mm;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.BugCheckSink;
import dev.offkern.shim.GranuleTable;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The kernel's address space: the set of {@link Region}s the runtime may dereference, and the map
 * from an address back to a bounds-checked segment. Every pointer the runtime follows (SLIST links,
 * RTL_BITMAP.Buffer, list entries, ...) is resolved here first; an address outside every region is
 * the bug check PAGE_FAULT_IN_NONPAGED_AREA (0x50) with the address as its first parameter, never
 * a JVM crash. Nothing here turns an arbitrary address into an unbounded segment.
 *
 * <p>Two views of the same regions, kept in step under this object's monitor:
 * <ul>
 *   <li>a Java table, for Java code: granule number to the {@link Region}s touching it, so that an
 *       address resolves to a bounded segment ({@link #regionOf}, {@link #resolve});</li>
 *   <li>a native {@link GranuleTable} ({@link #granules()}), for the shim: the C code that follows
 *       raw addresses (the SLIST routines: headers, entries, links read from memory) looks up each
 *       address in it inside the native call, immediately before the dereference, and reports a miss
 *       instead of touching the memory.</li>
 * </ul>
 *
 * <p>Lifecycle and the race with unmapping. {@link #register} publishes the region in both views
 * (the native one with release ordering) before it returns, so before any address in it can be
 * handed out. {@link #unregister} removes it from both and then waits for a grace period: when it
 * returns, no shim call is still dereferencing the region and none will, so the caller may unmap the
 * memory (the pools do, at {@code Kernel.close()}). Java code reaches region memory only through the
 * regions' segments, which FFM checks (bounds, and liveness of their arenas), so it needs no grace
 * period. {@link #close} (run by {@code Kernel.close()} before the pools unmap) removes every region from
 * the native view the same way; afterwards every shim call through this address space reports the
 * kernel closed ({@link #ensureOpen}) instead of touching memory that is about to be freed.
 *
 * <p>Checks that are always on, whatever the verifier says, and what they cost: the shim's check of
 * every address it dereferences (one compare against a range the calling thread found earlier, valid
 * until the next removal; otherwise a lookup, a hash and usually one 32-byte slot), a per-thread call
 * count per shim call (for its safepoint-poll request; the grace period itself costs the calls nothing,
 * a removal handshakes with every Java thread instead), and Java's {@link #regionOf}
 * wherever Java follows a pointer (usually one array load and a range check; else a hash-map probe and
 * one or two range checks). See
 * docs/address-space.md.
 *
 * <p><b>Implementation overview.</b> Addresses are split into 64 KiB granules ({@link #GRANULE_SHIFT}).
 * The Java view is one immutable {@link Table}, replaced whole on every change (copy-on-write):
 * registration (rare: a pool growing a chunk, an embedder registering memory) builds a new table under
 * the monitor and publishes it with one volatile write; lookups read that reference once and never lock
 * or write. A table has two parts:
 * <ul>
 *   <li>{@code direct}: an array indexed by the granule number's low bits (a power of two, at least twice
 *       the number of granules the regions touch, doubled at registration until no two regions' granules
 *       share a slot, at most {@link #MAX_DIRECT} slots), each slot holding one region that touches a
 *       granule mapping there (the first registered keeps a slot still shared at that size), or null.
 *       A lookup loads that slot and checks the range against its region: regions never overlap, so a
 *       region that holds the whole range is the answer, whichever granule put it there. That is the
 *       usual case (one region per granule, no collision): one load and two compares.</li>
 *   <li>{@code byGranule}: granule number to every region that touches it (almost always one), for
 *       what the direct slot does not answer: a granule shared by two regions, two granules colliding in
 *       one slot, a range that leaves the slot's region (then it is in no region, or a fault).</li>
 * </ul>
 * Both are O(1) whatever the number of regions. (Measured: four lookups of a list and a pool block,
 * 7.3 ns with the direct slot against 17-39 ns with the map alone; docs/performance.md, "Lookaside
 * lists".) The
 * native table is an open-addressed hash of (granule, range) slots described in the shim's
 * offkern_map.h; it is updated in place under its own mutex, with grace periods (membarrier) instead of
 * copies.
 *
 * <p>Why no lookup can return a region after its {@link #unregister} has returned: unregister publishes
 * a table without it (volatile write) before it returns; a lookup that starts afterwards reads that
 * table or a newer one (volatile read), and no table is modified after its publication, so nothing a
 * racing lookup does can put the region back (there is no memo written by readers).
 *
 * <p>Progress: {@link #regionOf} and the shim's lookups are wait-free; register/unregister/close are
 * blocking (a monitor; unregister and close also wait for shim calls in flight).
 */
public final class AddressSpace {
    /** Granule size: 64 KiB. */
    public static final int GRANULE_SHIFT = 16;

    /** Most slots of a table's direct array (256 KiB of references with compressed oops: a 4 GiB span without collisions). */
    static final int MAX_DIRECT = 1 << 16;
    /** Fewest slots of a table's direct array. */
    static final int MIN_DIRECT = 256;

    /**
     * The lookup table (see the implementation overview); replaced whole on every change
     * (copy-on-write) and never modified after its publication. Volatile: the write in {@link #rebuild}
     * publishes a fully built table, and each lookup reads it once.
     */
    private volatile Table table = new Table(List.of());
    /**
     * {@link #table}'s direct array, also held here so that a lookup's usual case is one load shorter
     * (address space → array → slot, not address space → table → array → slot): every lookup on a DDI
     * path heads a chain of dependent loads that follows a locked instruction. Written by
     * {@link #rebuild} after {@link #table} (volatile): a reader that sees this array and misses in it
     * reads {@link #table} afterwards and finds that table or a newer one.
     */
    private volatile Region[] direct = table.direct;
    /** Incremented after every change of {@link #table} (under the monitor); volatile: callers cache lookups against it. */
    private volatile long generation;
    /**
     * Whether the kernel over this space runs the verifier's SPECIAL_POOL family: set once by
     * {@link #runSpecialPoolChecks}, at boot, before the kernel is published to any routine's thread; false
     * for a space no kernel has configured. Every thread state of that kernel holds the same answer (its
     * verifier mask is the kernel's), so the routines that check their entries under the family read it here
     * instead of looking the thread's state up.
     */
    private boolean specialPoolChecks;
    private final List<Region> regions = new ArrayList<>();
    /** The shim's view of the same regions (see the class comment). */
    private final GranuleTable granules = new GranuleTable();
    /** Set by {@link #close}; volatile: read on the shim-fault slow path without the monitor. */
    private volatile boolean closed;
    /** Where faults go: the owning kernel's bug-check path once it is set; volatile: set once at boot. */
    private volatile BugCheckSink bugCheckSink = BugCheckSink.DETACHED;

    /**
     * Routes this address space's faults through {@code sink} (the kernel's one bug-check path:
     * callbacks, dump, THROW/HALT policy). Set once, by the kernel that owns the address space.
     */
    public void bugCheckSink(BugCheckSink sink) {
        this.bugCheckSink = java.util.Objects.requireNonNull(sink, "sink");
    }

    /**
     * Registers {@code segment} (native memory that stays mapped until unregistered) as a region.
     *
     * @throws IllegalArgumentException if the segment is on-heap, empty, or overlaps a region
     */
    public synchronized Region register(MemorySegment segment, String name) {
        return register(segment, name, null);
    }

    /**
     * Registers {@code segment} as a region whose blocks {@code blocks} knows (a pool registers its
     * chunks this way, for the verifier's block-exact checks); null: the region is one block.
     *
     * @throws IllegalArgumentException if the segment is on-heap, empty, or overlaps a region
     */
    public synchronized Region register(MemorySegment segment, String name, BlockMap blocks) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("only native segments can be registered, not " + segment);
        }
        if (segment.byteSize() == 0) {
            throw new IllegalArgumentException("cannot register an empty segment (" + name + ")");
        }
        long base = segment.address();
        long length = segment.byteSize();
        for (Region r : regions) {
            if (base < r.base() + r.length() && r.base() < base + length) {
                throw new IllegalArgumentException("region '" + name + "' [0x" + Long.toHexString(base) + ", +0x"
                        + Long.toHexString(length) + ") overlaps '" + r.name() + "'");
            }
        }
        ensureOpen();
        Region region = new Region(base, length, segment, name, blocks);
        granules.insert(base, length); // first: published (release) before the region is reachable
        regions.add(region);
        rebuild();
        return region;
    }

    /**
     * Removes {@code region}; later lookups of its addresses fault. When this returns, no shim call
     * is dereferencing the region any more (it waits for those in flight), so the caller may unmap it.
     */
    public synchronized void unregister(Region region) {
        if (!regions.remove(region)) {
            throw new IllegalArgumentException("region '" + region.name() + "' is not registered");
        }
        rebuild();
        if (!closed) {
            granules.remove(region.base(), region.length()); // waits for shim calls in flight
        }
    }

    /**
     * Closes the address space ({@code Kernel.close()} does, before the pools unmap their chunks):
     * every region is removed from the shim's view, waiting for shim calls in flight, and later shim
     * calls through this address space report it closed. Java lookups of the regions keep working
     * until they are unregistered (the pools and other owners unregister them as they free them);
     * new registrations are refused. Idempotent.
     */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        granules.close();
    }

    /** Whether {@link #close} has run. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Throws if the address space is closed: the kernel that owned it was closed, so its memory is
     * gone or going.
     *
     * @throws IllegalStateException "this offkern kernel is closed ..."
     */
    public void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed: its address space maps nothing any more");
        }
    }

    /**
     * The shim's view of the regions: the table the native routines check every address they
     * dereference against. Pass it to {@code dev.offkern.shim} calls; never keep addresses outside it.
     */
    public GranuleTable granules() {
        return granules;
    }

    /** The regions registered now, in registration order. */
    public synchronized List<Region> regions() {
        return List.copyOf(regions);
    }

    /**
     * The region holding all of {@code [address, address + size)}.
     *
     * @throws BugCheck PAGE_FAULT_IN_NONPAGED_AREA (address, 0 = read, 0, 0) if no region holds it
     */
    public Region regionOf(long address, long size) {
        Region r = find(address, size);
        if (r == null) {
            throw fault(address, size);
        }
        return r;
    }

    /**
     * {@link #regionOf(long, long)} for a caller that already holds a region {@code near} (found in
     * this address space earlier in the same operation, for example the list a block is freed to):
     * {@code near} itself when it holds the range (one range check, no lookup), else the lookup. Same
     * checks and the same bug check as {@link #regionOf(long, long)}; the operation is then linearized
     * at the lookup that found {@code near}, as every other use the caller makes of it.
     */
    public Region regionOf(Region near, long address, long size) {
        return near.contains(address, size) ? near : regionOf(address, size);
    }

    /**
     * The region holding {@code [address, address + size)}, or null. Wait-free; allocates nothing and
     * writes nothing. Kept small so that it inlines into its callers: the usual case is one slot load
     * and the range check; everything else is {@link Table#search}. The
     * direct array is this table's, read through {@code direct}.
     */
    public Region find(long address, long size) {
        Region r = Table.inSlot(direct, address, size); // volatile read of the array: pairs with the write in rebuild()
        return r != null ? r : table.search(address, size); // volatile read of the table, written before the array: this one or newer
    }

    /** Whether {@code [address, address + size)} lies inside one region. */
    public boolean isValid(long address, long size) {
        return find(address, size) != null;
    }

    /**
     * A bounded segment of exactly {@code [address, address + size)} (allocates a slice: use
     * {@link #regionOf} on hot paths).
     */
    public MemorySegment resolve(long address, long size) {
        MemorySegment[] d = table.directSegments; // volatile read of the table: pairs with the write in rebuild()
        MemorySegment s = d[(int) (address >>> GRANULE_SHIFT) & (d.length - 1)];
        if (s != null && Region.holds(s.address(), s.byteSize(), address, size)) {
            return s.asSlice(address - s.address(), size); // the slot's region holds the range: regions are disjoint
        }
        return regionOf(address, size).slice(address, size); // kept small: see Region.slice
    }

    /**
     * The verifier's block-exact check (Driver Verifier's special pool gives the same guarantee with
     * guard pages): {@code [address, address + size)} must lie inside the live block that holds
     * {@code object} — the pointer a routine follows — according to the allocator of its region
     * ({@link BlockMap}); in a region registered without one, inside that region. Checks before any
     * access, so a refused range is never touched.
     *
     * @param object the start of the object the routine follows ({@code address >= object})
     * @param write  whether the routine writes the range (bug-check parameter 2)
     * @return the region holding the range
     * @throws BugCheck PAGE_FAULT_IN_NONPAGED_AREA (0x50, address, 0, 0, 0) if no region holds
     *         {@code object} or (no allocator) the range leaves its region;
     *         DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xD5, object, write, 0, 0) if {@code object}
     *         is in freed pool memory; DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xD6, first byte
     *         outside the block, write, 0, 0) if the range runs past the block's end, or
     *         {@code object} is in no block (a pool header, the slack after a block)
     * @throws IllegalStateException "this offkern kernel is closed ..." instead of any of those once
     *         {@link #close} has run: the pools free their blocks and unregister their chunks after it,
     *         so a failing verdict then says the kernel is closing, not that the caller is wrong
     */
    public Region checkLive(long object, long address, long size, boolean write) {
        Region r = find(object, 1);
        if (r == null) {
            ensureOpen(); // volatile read after the verdict's reads: a teardown we saw is behind closed = true
            throw fault(address, size);
        }
        long end = address - object + size; // bytes from object to the range's end
        BlockMap blocks = r.blocks();
        if (blocks == null) {
            if (!r.contains(address, size)) {
                ensureOpen(); // as above
                throw bugCheckSink.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0,
                        "[0x" + Long.toHexString(address) + ", +" + size + ") leaves the region '" + r.name()
                                + "' that holds the object at 0x" + Long.toHexString(object));
            }
            return r;
        }
        long live = blocks.liveBytesAt(object);
        if (live == BlockMap.FREED) {
            ensureOpen(); // as above
            throw bugCheckSink.bugCheck(BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, object, write ? 1 : 0, 0, 0,
                    "0x" + Long.toHexString(object) + " is in freed memory of '" + r.name() + "'");
        }
        if (live <= 0 || end > live) {
            ensureOpen(); // as above
            long outside = live <= 0 ? object : Math.max(address, object + live);
            throw bugCheckSink.bugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, outside, write ? 1 : 0, 0, 0,
                    live <= 0 ? "0x" + Long.toHexString(object) + " is in no live block of '" + r.name() + "' (a header or the slack after a block)"
                            : "[0x" + Long.toHexString(address) + ", +" + size + ") runs past the end of the " + live
                                    + "-byte rest of the block at 0x" + Long.toHexString(object) + " in '" + r.name() + "'");
        }
        return r;
    }

    private BugCheck fault(long address, long size) {
        return fault(address, size, "no region holds [0x" + Long.toHexString(address) + ", +" + size + ")");
    }

    /**
     * Raises PAGE_FAULT_IN_NONPAGED_AREA (0x50) for a read of {@code [address, address + size)} through
     * the kernel's bug-check path (callbacks, dump, THROW/HALT policy), with {@code detail} saying what
     * was being followed: for code (such as the SLIST routines, whose checks run in the shim) that
     * found an address outside every region itself. Returns the exception to throw under THROW.
     */
    public BugCheck fault(long address, long size, String detail) {
        return bugCheckSink.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0, detail);
    }

    private void rebuild() {
        Table next = new Table(regions);
        table = next; // volatile write: publishes the fully built table to lock-free readers
        direct = next.direct; // volatile write after the table's: a reader that misses in this array finds this table or a newer one
        generation = generation + 1; // volatile write after the table's: a reader that sees it sees the new table
    }

    /**
     * One immutable snapshot of the Java view (see the implementation overview): built under the
     * monitor, published by the volatile write of {@link #table}, read by any number of threads, never
     * changed afterwards (its arrays and map included), so readers need no further ordering: the
     * volatile read of {@code table} that found it orders every read of its contents after their
     * writes.
     */
    static final class Table {
        /** Slot {@code granule & (direct.length - 1)}: one region touching such a granule, or null. */
        final Region[] direct;
        /** {@code direct[i].segment()}, or null where {@code direct[i]} is null. */
        final MemorySegment[] directSegments;
        /** Granule number to every region touching it. */
        final Long2ObjectHashMap<Region[]> byGranule = new Long2ObjectHashMap<>();

        Table(List<Region> regions) {
            long granules = 0;
            for (Region r : regions) {
                long first = r.base() >>> GRANULE_SHIFT;
                long last = (r.base() + r.length() - 1) >>> GRANULE_SHIFT;
                granules += last - first + 1;
                for (long g = first; g <= last; g++) {
                    Region[] old = byGranule.get(g);
                    byGranule.put(g, old == null ? new Region[] {r} : append(old, r));
                }
            }
            direct = directTable(regions, granules);
            directSegments = new MemorySegment[direct.length];
            for (int i = 0; i < direct.length; i++) {
                directSegments[i] = direct[i] == null ? null : direct[i].segment();
            }
        }

        /**
         * The direct array: the smallest power of two of at least twice {@code granules} slots (at
         * least {@link #MIN_DIRECT}) in which no two regions' granules share a slot; doubled while they
         * do, up to {@link #MAX_DIRECT} slots, where the first region registered keeps a shared slot.
         * (Regions sharing one granule always share its slot; that is not a collision a larger array
         * removes.) Built at registration only, so the doubling costs lookups nothing.
         */
        private static Region[] directTable(List<Region> regions, long granules) {
            long want = Math.max(MIN_DIRECT, Math.min(MAX_DIRECT, 2 * granules));
            int slots = Integer.highestOneBit((int) want - 1) << 1; // round up to a power of two (want >= MIN_DIRECT)
            while (true) {
                Region[] direct = new Region[slots];
                if (fill(direct, regions) || slots == MAX_DIRECT) {
                    return direct;
                }
                slots <<= 1;
            }
        }

        /**
         * Puts every region into the slots of the granules it touches (a slot already taken keeps its
         * region); returns whether no slot was wanted by two regions for different granules.
         */
        private static boolean fill(Region[] direct, List<Region> regions) {
            int mask = direct.length - 1;
            long[] owner = new long[direct.length]; // the granule that took each slot (valid where direct[slot] != null)
            boolean clean = true;
            for (Region r : regions) {
                long first = r.base() >>> GRANULE_SHIFT;
                long last = Math.min((r.base() + r.length() - 1) >>> GRANULE_SHIFT, first + mask); // beyond: every slot seen
                for (long g = first; g <= last; g++) {
                    int slot = (int) g & mask;
                    if (direct[slot] == null) {
                        direct[slot] = r;
                        owner[slot] = g;
                    } else if (direct[slot] != r && owner[slot] != g) {
                        clean = false;
                    }
                }
            }
            return clean;
        }

        /** The region holding {@code [address, address + size)}, or null: the direct slot, else {@link #search}. */
        Region find(long address, long size) {
            Region r = inSlot(direct, address, size);
            return r != null ? r : search(address, size);
        }

        /** The region in the address's slot of {@code direct} if it holds the whole range, else null (then ask {@link #search}). */
        static Region inSlot(Region[] direct, long address, long size) {
            Region r = direct[(int) (address >>> GRANULE_SHIFT) & (direct.length - 1)];
            return r != null && r.contains(address, size) ? r : null; // regions are disjoint: the one region that holds the range
        }

        /** The exact search: every region touching the address's granule. Wait-free. */
        Region search(long address, long size) {
            Region[] candidates = byGranule.get(address >>> GRANULE_SHIFT);
            if (candidates != null) {
                for (Region r : candidates) {
                    if (r.contains(address, size)) {
                        return r;
                    }
                }
            }
            return null;
        }
    }

    /** Whether the kernel over this space runs the verifier's SPECIAL_POOL family (see {@link #specialPoolChecks}). */
    public boolean specialPoolChecks() {
        return specialPoolChecks;
    }

    /** Records that the kernel over this space runs SPECIAL_POOL; call once, before the kernel is published. */
    public void runSpecialPoolChecks() {
        specialPoolChecks = true;
    }

    /**
     * A number that changes whenever a region is registered or unregistered. A caller may keep a
     * {@link Region} it looked up and reuse it while this is unchanged (read it before the lookup):
     * then the region is still registered. Wait-free (one volatile read).
     */
    public long generation() {
        return generation; // volatile read: pairs with the write in rebuild()
    }

    private static Region[] append(Region[] old, Region r) {
        Region[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = r;
        return grown;
    }
}
