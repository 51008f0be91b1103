package dev.offkern.runtime.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Java lookup of {@link AddressSpace}: the direct table answers the usual case, the granule map the
 * rest (regions sharing a granule, colliding slots, ranges that leave their region), every answer exact;
 * and no lookup returns a region once its unregistration has returned, while other threads register and
 * unregister.
 */
class AddressSpaceLookupTest {
    private static final long GRANULE = 1L << AddressSpace.GRANULE_SHIFT;

    @Test
    void shouldResolveEveryByteOfARegionAndFaultOutsideIt() {
        try (Arena arena = Arena.ofConfined()) {
            AddressSpace space = new AddressSpace();
            MemorySegment big = arena.allocate(5 * GRANULE + 24, 16); // spans several granules, ends mid-granule
            MemorySegment small = arena.allocate(40, 16);
            Region b = space.register(big, "big");
            Region s = space.register(small, "small");
            for (long off : new long[] {0, 1, GRANULE - 1, GRANULE, 3 * GRANULE + 5, big.byteSize() - 1}) {
                assertSame(b, space.regionOf(big.address() + off, 1), "offset " + off);
            }
            assertSame(b, space.regionOf(big.address(), big.byteSize()));
            assertSame(s, space.regionOf(small.address() + 24, 16));
            // A range that leaves its region is in no region, whichever slot its start hits.
            BugCheck leaves = assertThrows(BugCheck.class, () -> space.regionOf(small.address() + 32, 16));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, leaves.code());
            assertEquals(small.address() + 32, leaves.parameter1());
            assertNull(space.find(big.address() + big.byteSize() - 8, 16));
            assertNull(space.find(big.address() - 1, 2));
            assertNull(space.find(big.address(), -1)); // bad input: a negative size holds nothing
            assertNull(space.find(0, 1));
            assertNull(space.find(-1L, 1));
            BugCheck unmapped = assertThrows(BugCheck.class, () -> space.resolve(0x10, 8));
            assertEquals(0x10, unmapped.parameter1());
            space.unregister(s);
            assertNull(space.find(small.address(), 1));
            assertSame(b, space.find(big.address(), 1));
        }
    }

    @Test
    void shouldUseTheNearRegionOnlyWhenItHoldsTheWholeRange() {
        try (Arena arena = Arena.ofConfined()) {
            AddressSpace space = new AddressSpace();
            MemorySegment one = arena.allocate(96 + 8, 64); // a list and 8 bytes: a 16-byte block at +96 leaves it
            MemorySegment two = arena.allocate(64, 16);
            Region r1 = space.register(one, "one");
            Region r2 = space.register(two, "two");
            assertSame(r1, space.regionOf(r1, one.address() + 16, 16));
            assertSame(r2, space.regionOf(r1, two.address(), 16)); // not in the near region: looked up
            BugCheck b = assertThrows(BugCheck.class, () -> space.regionOf(r1, one.address() + 96, 16));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, b.code());
            assertEquals(one.address() + 96, b.parameter1());
        }
    }

    /** Regions placed MAX_DIRECT granules (4 GiB) apart share a direct slot at every size: the map answers for all but the first. */
    @Test
    void shouldFindRegionsWhoseGranulesShareADirectSlot() {
        long stride = (long) AddressSpace.MAX_DIRECT * GRANULE; // same slot at every table size
        List<Region> regions = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            regions.add(new Region(i * stride + 4096, 2 * GRANULE, MemorySegment.NULL, "r" + i));
        }
        regions.add(new Region(3 * stride + 4096 + 2 * GRANULE, 64, MemorySegment.NULL, "neighbour in r3's last granule"));
        AddressSpace.Table t = new AddressSpace.Table(regions);
        assertEquals(AddressSpace.MAX_DIRECT, t.direct.length); // doubled as far as it goes
        for (Region r : regions) {
            assertSame(r, t.find(r.base(), 1), r.name());
            assertSame(r, t.find(r.base() + r.length() - 1, 1), r.name());
            assertSame(r, t.find(r.base(), r.length()), r.name());
            assertNull(t.find(r.base() + r.length() - 1, 2), r.name());
        }
        assertNull(t.find(5 * stride + 4096, 1));
    }

    @Test
    void shouldGrowTheDirectTableUntilTwoRegionsNoLongerShareASlot() {
        long apart = (long) AddressSpace.MIN_DIRECT * GRANULE; // the same slot in the smallest table
        Region a = new Region(100 * GRANULE, GRANULE, MemorySegment.NULL, "a");
        Region b = new Region(100 * GRANULE + apart, GRANULE, MemorySegment.NULL, "b");
        AddressSpace.Table t = new AddressSpace.Table(List.of(a, b));
        assertEquals(2 * AddressSpace.MIN_DIRECT, t.direct.length);
        assertSame(a, t.direct[100 & (t.direct.length - 1)]);
        assertSame(b, t.direct[(100 + AddressSpace.MIN_DIRECT) & (t.direct.length - 1)]);
        // Several small regions in one granule share its slot without growing the table.
        Region c = new Region(7 * GRANULE, 64, MemorySegment.NULL, "c");
        Region d = new Region(7 * GRANULE + 64, 64, MemorySegment.NULL, "d");
        AddressSpace.Table shared = new AddressSpace.Table(List.of(c, d));
        assertEquals(AddressSpace.MIN_DIRECT, shared.direct.length);
        assertSame(c, shared.find(7 * GRANULE + 8, 8));
        assertSame(d, shared.find(7 * GRANULE + 64, 64));
        assertNull(shared.find(7 * GRANULE + 56, 16)); // across the two: in neither
        assertEquals(AddressSpace.MIN_DIRECT, new AddressSpace.Table(List.of()).direct.length);
    }

    /**
     * {@link AddressSpace#resolve}: the slot's segment answers when its region holds the range, the map otherwise (two
     * regions in one granule share a slot); a range in no region, or across two, is bug check 0x50.
     */
    @Test
    void shouldResolveThroughTheSlotOrTheMapToTheSliceOfTheRegionThatHoldsTheRange() {
        try (Arena arena = Arena.ofConfined()) {
            AddressSpace space = new AddressSpace();
            MemorySegment memory = arena.allocate(2 * GRANULE, GRANULE);
            MemorySegment first = memory.asSlice(64, 64);
            MemorySegment second = memory.asSlice(128, 64); // the same granule: the slot holds the first registered
            space.register(first, "first");
            space.register(second, "second");
            for (MemorySegment r : List.of(first, second)) {
                for (long off = 0; off < 64; off += 8) {
                    MemorySegment slice = space.resolve(r.address() + off, 64 - off);
                    assertEquals(r.address() + off, slice.address());
                    assertEquals(64 - off, slice.byteSize());
                    slice.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1); // a live, writable view of the region
                }
            }
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA,
                    assertThrows(BugCheck.class, () -> space.resolve(first.address() + 56, 16)).code()); // across the two
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA,
                    assertThrows(BugCheck.class, () -> space.resolve(memory.address(), 8)).code()); // before both
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA,
                    assertThrows(BugCheck.class, () -> space.resolve(first.address() - 8, 16)).code()); // into the first from outside
            assertThrows(BugCheck.class, () -> space.resolve(first.address(), -1)); // a negative size holds nothing
        }
    }

    /**
     * Readers resolve addresses in regions that stay registered (they must always get exactly that
     * region) and in regions a writer registers and unregisters over and over; after each unregister
     * returns, the writer publishes the removed region, and a reader that saw it published before its
     * lookup must never get it back. Checked invariants only, no timing.
     */
    @Tag("stress")
    @Test
    void shouldNeverReturnARegionAfterItsUnregistrationReturned() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            AddressSpace space = new AddressSpace();
            // Slots in the smallest table collide at MIN_DIRECT granules apart: churn there, so that
            // registrations change the table's size and its slots' owners.
            long span = (long) (AddressSpace.MIN_DIRECT + 4) * GRANULE;
            MemorySegment memory = arena.allocate(span, GRANULE);
            // churn at MIN_DIRECT + 2 and + 3 granules shares the smallest table's slots with stable A and B
            long[] churnOffsets = {0, GRANULE, (long) (AddressSpace.MIN_DIRECT + 2) * GRANULE, (long) (AddressSpace.MIN_DIRECT + 3) * GRANULE};
            MemorySegment stableA = memory.asSlice(2 * GRANULE, GRANULE);
            MemorySegment stableB = memory.asSlice(3 * GRANULE + 64, 128); // shares granule 3 with churn region 5
            MemorySegment churnShared = memory.asSlice(3 * GRANULE + 256, 64);
            Region ra = space.register(stableA, "stable A");
            Region rb = space.register(stableB, "stable B");
            int iterations = 1500;
            AtomicReference<Region> removed = new AtomicReference<>();
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int seed = t;
                readers.add(Thread.ofPlatform().start(() -> {
                    try {
                        long n = seed;
                        while (!done.get()) { // volatile read: the writer's last publication is seen
                            n++;
                            Region gone = removed.get(); // volatile: its unregister had returned before this
                            if (gone != null) {
                                long probe = gone.base() + (n % gone.length());
                                Region got = space.find(probe, 1);
                                if (got == gone) {
                                    throw new AssertionError("got " + gone.name() + " back after its unregister returned");
                                }
                                if (got != null && !got.contains(probe, 1)) {
                                    throw new AssertionError(got.name() + " does not hold 0x" + Long.toHexString(probe));
                                }
                                try {
                                    MemorySegment slice = space.resolve(probe, 1); // through the slot's segment or the map
                                    if (slice.address() != probe || slice.byteSize() != 1) {
                                        throw new AssertionError("resolve(0x" + Long.toHexString(probe) + ", 1) gave " + slice);
                                    }
                                } catch (BugCheck unmapped) {
                                    // nothing holds it now: the usual outcome once its region is gone
                                }
                            }
                            long a = stableA.address() + (n % GRANULE);
                            if (space.find(a, 1) != ra) {
                                throw new AssertionError("stable A not found at 0x" + Long.toHexString(a));
                            }
                            if (space.find(stableB.address() + (n % 128), 1) != rb) {
                                throw new AssertionError("stable B not found");
                            }
                            long a8 = stableA.address() + (n % (GRANULE - 8));
                            if (space.resolve(a8, 8).address() != a8 || space.resolve(stableB.address() + (n % 120), 8).byteSize() != 8) {
                                throw new AssertionError("a stable region's slice is wrong");
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            try {
                for (int i = 0; i < iterations && failure.get() == null; i++) {
                    MemorySegment s = i % 5 == 4 ? churnShared : memory.asSlice(churnOffsets[i % 4], GRANULE);
                    Region r = space.register(s, "churn " + i);
                    assertSame(r, space.find(s.address(), s.byteSize()));
                    space.unregister(r);
                    removed.set(r); // volatile: after unregister returned
                }
            } finally {
                done.set(true);
            }
            for (Thread t : readers) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            // The end state: only the two stable regions.
            assertEquals(List.of(ra, rb), space.regions());
            assertSame(ra, space.find(stableA.address(), GRANULE));
            assertSame(rb, space.find(stableB.address(), 128));
            assertNull(space.find(churnShared.address(), 1));
            BugCheck gone = assertThrows(BugCheck.class, () -> space.resolve(churnShared.address(), 1));
            assertEquals(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, gone.code());
            assertTrue(space.generation() >= 2L * iterations);
            space.unregister(ra);
            space.unregister(rb);
        }
    }
}
