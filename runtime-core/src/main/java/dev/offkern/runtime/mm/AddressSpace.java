package dev.offkern.runtime.mm;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.BugCheckSink;
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
 * <p><b>Implementation overview.</b> Addresses are split into 64 KiB granules ({@link #GRANULE_SHIFT}).
 * The table maps a granule number to the regions that touch it (almost always one), so a lookup is
 * one hash probe plus one or two range compares: O(1) whatever the number of regions. The table is
 * copy-on-write: registration (rare: a pool growing a chunk, an embedder registering memory) builds
 * a new table under a lock and publishes it with a volatile write; lookups read the volatile
 * reference once and never lock.
 *
 * <p>Progress: {@link #regionOf} is wait-free; register/unregister are blocking (a monitor).
 */
public final class AddressSpace {
    /** Granule size: 64 KiB. */
    public static final int GRANULE_SHIFT = 16;

    /** Granule number to the regions touching it; replaced whole on every change (copy-on-write). */
    private volatile Long2ObjectHashMap<Region[]> table = new Long2ObjectHashMap<>();
    private final List<Region> regions = new ArrayList<>();
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
        Region region = new Region(base, length, segment, name, blocks);
        regions.add(region);
        rebuild();
        return region;
    }

    /** Removes {@code region}; later lookups of its addresses fault. */
    public synchronized void unregister(Region region) {
        if (!regions.remove(region)) {
            throw new IllegalArgumentException("region '" + region.name() + "' is not registered");
        }
        rebuild();
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

    /** The region holding {@code [address, address + size)}, or null. Wait-free. */
    public Region find(long address, long size) {
        Region[] candidates = table.get(address >>> GRANULE_SHIFT); // volatile read of the table: pairs with rebuild()
        if (candidates == null) {
            return null;
        }
        for (Region r : candidates) {
            if (r.contains(address, size)) {
                return r;
            }
        }
        return null;
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
        Region r = regionOf(address, size);
        return r.segment().asSlice(r.offsetOf(address), size);
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
     */
    public Region checkLive(long object, long address, long size, boolean write) {
        Region r = find(object, 1);
        if (r == null) {
            throw fault(address, size);
        }
        long end = address - object + size; // bytes from object to the range's end
        BlockMap blocks = r.blocks();
        if (blocks == null) {
            if (!r.contains(address, size)) {
                throw bugCheckSink.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0,
                        "[0x" + Long.toHexString(address) + ", +" + size + ") leaves the region '" + r.name()
                                + "' that holds the object at 0x" + Long.toHexString(object));
            }
            return r;
        }
        long live = blocks.liveBytesAt(object);
        if (live == BlockMap.FREED) {
            throw bugCheckSink.bugCheck(BugCheckCode.DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, object, write ? 1 : 0, 0, 0,
                    "0x" + Long.toHexString(object) + " is in freed memory of '" + r.name() + "'");
        }
        if (live <= 0 || end > live) {
            long outside = live <= 0 ? object : Math.max(address, object + live);
            throw bugCheckSink.bugCheck(BugCheckCode.DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, outside, write ? 1 : 0, 0, 0,
                    live <= 0 ? "0x" + Long.toHexString(object) + " is in no live block of '" + r.name() + "' (a header or the slack after a block)"
                            : "[0x" + Long.toHexString(address) + ", +" + size + ") runs past the end of the " + live
                                    + "-byte rest of the block at 0x" + Long.toHexString(object) + " in '" + r.name() + "'");
        }
        return r;
    }

    private BugCheck fault(long address, long size) {
        return bugCheckSink.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, address, 0, 0, 0,
                "no region holds [0x" + Long.toHexString(address) + ", +" + size + ")");
    }

    private void rebuild() {
        Long2ObjectHashMap<Region[]> next = new Long2ObjectHashMap<>();
        for (Region r : regions) {
            long first = r.base() >>> GRANULE_SHIFT;
            long last = (r.base() + r.length() - 1) >>> GRANULE_SHIFT;
            for (long g = first; g <= last; g++) {
                Region[] old = next.get(g);
                Region[] grown = old == null ? new Region[] {r} : append(old, r);
                next.put(g, grown);
            }
        }
        table = next; // volatile write: publishes the fully built table to lock-free readers
    }

    private static Region[] append(Region[] old, Region r) {
        Region[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = r;
        return grown;
    }
}
