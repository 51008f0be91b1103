package dev.offkern.cli.demo;

import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ex.LOOKASIDE_LIST_EX;
import dev.offkern.layout.ex.SLIST_HEADER;
import dev.offkern.layout.io.IO_CSQ;
import dev.offkern.layout.ke.KBUGCHECK_CALLBACK_RECORD;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KGUARDED_MUTEX;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.layout.rtl.RTL_BITMAP;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo device's extension ({@code DEVICE_OBJECT.DeviceExtension}): every structure its routines
 * share, laid out as a C compiler would lay out the struct below (each member at its natural
 * alignment, the structures' sizes and alignments taken from their layout classes).
 *
 * <pre>
 * typedef struct _DEMO_EXTENSION {
 *     IO_CSQ Csq;                       // the cancel-safe request queue ...
 *     LIST_ENTRY Pending;               // ... over this list,
 *     KSPIN_LOCK QueueLock;             // ... guarded by this lock
 *     KSPIN_LOCK SlotLock;              // guards Slots
 *     EX_RUNDOWN_REF Rundown;           // held by every request in flight; unload waits for it
 *     KTIMER CompletionTimer;           // periodic: its DPC completes queued requests
 *     KDPC CompletionDpc;
 *     SLIST_HEADER FreeRecords;         // completion records ready for use
 *     SLIST_HEADER DoneRecords;         // completion records the DPCs filled, for the work item
 *     KGUARDED_MUTEX StatsMutex;        // guards the statistics the work item folds
 *     RTL_BITMAP Slots;                 // which request slots are in use
 *     LOOKASIDE_LIST_EX Contexts;       // per-request contexts
 *     KBUGCHECK_CALLBACK_RECORD BugCheckRecord;
 *     ULONG SlotBits[SLOTS / 32];
 *     ULONG DeviceStatus;               // the "hardware" register: interrupt pending bits
 * } DEMO_EXTENSION;
 * </pre>
 */
final class DemoExtension {
    /** Request slots (bits of the bitmap): more than the requests one load can have in flight. */
    static final int SLOTS = 4096;

    static final StructLayout LAYOUT = struct(
            IO_CSQ.LAYOUT.withName("Csq"),
            LIST_ENTRY.LAYOUT.withName("Pending"),
            ValueLayout.JAVA_LONG.withName("QueueLock"),
            ValueLayout.JAVA_LONG.withName("SlotLock"),
            EX_RUNDOWN_REF.LAYOUT.withName("Rundown"),
            KTIMER.LAYOUT.withName("CompletionTimer"),
            KDPC.LAYOUT.withName("CompletionDpc"),
            SLIST_HEADER.LAYOUT.withName("FreeRecords"),
            SLIST_HEADER.LAYOUT.withName("DoneRecords"),
            KGUARDED_MUTEX.LAYOUT.withName("StatsMutex"),
            RTL_BITMAP.LAYOUT.withName("Slots"),
            LOOKASIDE_LIST_EX.LAYOUT.withName("Contexts"),
            KBUGCHECK_CALLBACK_RECORD.LAYOUT.withName("BugCheckRecord"),
            MemoryLayout.sequenceLayout(SLOTS / 32, ValueLayout.JAVA_INT).withName("SlotBits"),
            ValueLayout.JAVA_INT.withName("DeviceStatus"));

    static final long CSQ = offset("Csq");
    static final long PENDING = offset("Pending");
    static final long QUEUE_LOCK = offset("QueueLock");
    static final long SLOT_LOCK = offset("SlotLock");
    static final long RUNDOWN = offset("Rundown");
    static final long COMPLETION_TIMER = offset("CompletionTimer");
    static final long COMPLETION_DPC = offset("CompletionDpc");
    static final long FREE_RECORDS = offset("FreeRecords");
    static final long DONE_RECORDS = offset("DoneRecords");
    static final long STATS_MUTEX = offset("StatsMutex");
    static final long SLOTS_HEADER = offset("Slots");
    static final long CONTEXTS = offset("Contexts");
    static final long BUGCHECK_RECORD = offset("BugCheckRecord");
    static final long SLOT_BITS = offset("SlotBits");
    static final long DEVICE_STATUS = offset("DeviceStatus");

    private DemoExtension() {
    }

    private static long offset(String member) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(member));
    }

    /** A struct of {@code members} with the padding a C compiler inserts (natural alignment, padded to the largest). */
    static StructLayout struct(MemoryLayout... members) {
        List<MemoryLayout> out = new ArrayList<>();
        long at = 0;
        long align = 1;
        for (MemoryLayout m : members) {
            long a = m.byteAlignment();
            align = Math.max(align, a);
            long pad = (a - at % a) % a;
            if (pad > 0) {
                out.add(MemoryLayout.paddingLayout(pad));
                at += pad;
            }
            out.add(m);
            at += m.byteSize();
        }
        long tail = (align - at % align) % align;
        if (tail > 0) {
            out.add(MemoryLayout.paddingLayout(tail));
        }
        return MemoryLayout.structLayout(out.toArray(MemoryLayout[]::new));
    }
}
