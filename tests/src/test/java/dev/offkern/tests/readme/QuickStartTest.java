package dev.offkern.tests.readme;

import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExFreePoolWithTag;
import static dev.offkern.ddi.Ex.InitializeSListHead;
import static dev.offkern.ddi.Ex.InterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushEntrySList;
import static dev.offkern.ddi.Ex.ExQueryDepthSList;
import static dev.offkern.nt.PoolFlags.POOL_FLAG_NON_PAGED;
import static dev.offkern.ddi.Rtl.RtlFindClearBitsAndSet;
import static dev.offkern.ddi.Rtl.RtlInitializeBitMap;
import static dev.offkern.ddi.Rtl.RtlNumberOfSetBits;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.layout.rtl.RTL_BITMAP;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.runtime.Kernel;
import dev.offkern.nt.PoolTags;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The README's quick start, verbatim between the markers, so the README cannot rot. */
class QuickStartTest {

    @Test
    void shouldRunTheReadmeQuickStart() {
        // --- README quick start begins ---
        try (Kernel kernel = Kernel.boot()) {
            int tag = PoolTags.tag("Demo");

            // A 1 Mbit RTL_BITMAP in non-paged pool: find 64 clear bits and set them.
            MemorySegment bitmap = ExAllocatePool2(POOL_FLAG_NON_PAGED, RTL_BITMAP.X64.size(), tag);
            MemorySegment bits = ExAllocatePool2(POOL_FLAG_NON_PAGED, (1 << 20) / 8, tag);
            RtlInitializeBitMap(bitmap, bits, 1 << 20);
            int start = RtlFindClearBitsAndSet(bitmap, 64, 0);      // 0
            int set = RtlNumberOfSetBits(bitmap);                    // 64

            // A lock-free SLIST: the byte-exact 16-byte header, changed by a real cmpxchg16b.
            MemorySegment head = ExAllocatePool2(POOL_FLAG_NON_PAGED, SLIST_HEADER.X64.size(), tag);
            InitializeSListHead(head);
            for (int i = 0; i < 3; i++) {
                MemorySegment entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, tag);  // 16-byte aligned
                entry.set(java.lang.foreign.ValueLayout.JAVA_INT, 16, i);           // payload after the link
                InterlockedPushEntrySList(head, entry);
            }
            MemorySegment top = InterlockedPopEntrySList(head);                      // LIFO: payload 2
            int payload = top.reinterpret(32).get(java.lang.foreign.ValueLayout.JAVA_INT, 16);
            int depth = ExQueryDepthSList(head);                                       // 2
            // --- README quick start ends ---
            assertEquals(0, start);
            assertEquals(64, set);
            assertEquals(2, payload);
            assertEquals(2, depth);
            ExFreePoolWithTag(top, tag);
            for (MemorySegment e; !(e = InterlockedPopEntrySList(head)).equals(MemorySegment.NULL);) {
                ExFreePoolWithTag(e, tag);
            }
            ExFreePoolWithTag(head, tag);
            ExFreePoolWithTag(bits, tag);
            ExFreePoolWithTag(bitmap, tag);
        }
    }
}
