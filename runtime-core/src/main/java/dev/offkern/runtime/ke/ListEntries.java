package dev.offkern.runtime.ke;

import dev.offkern.layout.rtl.LIST_ENTRY;
import dev.offkern.runtime.mm.Region;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Circular doubly linked {@code LIST_ENTRY} lists in native memory, as the WDK's inline routines
 * ({@code InitializeListHead}, {@code IsListEmpty}, {@code InsertTailList}, {@code RemoveEntryList})
 * manipulate them: the dispatcher's object wait lists and the bug-check callback lists use this
 * one implementation.
 *
 * <p>Links are real addresses. Every address is resolved through a {@link Memory} before it is
 * followed, and every routine resolves and checks <em>all</em> the entries it will touch before it
 * writes any of them: a bad pointer or a list whose links disagree (Windows 8+'s
 * {@code FAST_FAIL_CORRUPT_LIST_ENTRY} checks: {@code Flink->Blink == Entry && Blink->Flink == Entry})
 * fails the call with the list unchanged.
 *
 * <p>Not thread-safe: the caller serialises every operation on one list (the dispatcher lock, the
 * callback registry's monitor). Offsets come from {@link LIST_ENTRY} (x64).
 */
public final class ListEntries {

    /** How a list's addresses are resolved and how its failures are reported. */
    public interface Memory {
        /** The region holding {@code [address, address + size)}, or null. */
        Region find(long address, long size);

        /** The failure for an address no region holds (in a kernel: PAGE_FAULT_IN_NONPAGED_AREA). */
        RuntimeException unmapped(long address, long size);

        /** The failure for links that disagree (in a kernel: KERNEL_SECURITY_CHECK_FAILURE, corrupt LIST_ENTRY). */
        RuntimeException corrupt(long entry, String detail);
    }

    private ListEntries() {
    }

    /** {@code InitializeListHead}: Flink = Blink = the head at offset {@code off} of {@code seg}. */
    public static void initializeHead(MemorySegment seg, long off) {
        long head = seg.address() + off;
        seg.set(ValueLayout.JAVA_LONG, off + LIST_ENTRY.FLINK_OFFSET, head);
        seg.set(ValueLayout.JAVA_LONG, off + LIST_ENTRY.BLINK_OFFSET, head);
    }

    /** {@code IsListEmpty}: whether the head at offset {@code off} of {@code seg} points at itself. */
    public static boolean isEmpty(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_LONG, off + LIST_ENTRY.FLINK_OFFSET) == seg.address() + off;
    }

    /** The Flink of the entry at offset {@code off} of {@code seg}. */
    public static long flink(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_LONG, off + LIST_ENTRY.FLINK_OFFSET);
    }

    /** The Blink of the entry at offset {@code off} of {@code seg}. */
    public static long blink(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_LONG, off + LIST_ENTRY.BLINK_OFFSET);
    }

    /** The region holding the LIST_ENTRY at {@code address}; {@link Memory#unmapped} if none. */
    public static Region resolve(Memory m, long address) {
        if ((address & (LIST_ENTRY.X64.align() - 1)) != 0) { // a link no LIST_ENTRY can have: the list is corrupt
            throw m.corrupt(address, "LIST_ENTRY link 0x" + Long.toHexString(address) + " is not "
                    + LIST_ENTRY.X64.align() + "-byte aligned: the list is corrupt");
        }
        Region r = m.find(address, LIST_ENTRY.X64.size());
        if (r == null) {
            throw m.unmapped(address, LIST_ENTRY.X64.size());
        }
        return r;
    }

    /**
     * Checks that {@code InsertTailList(head, ...)} can run: the head and its last entry resolve and
     * agree ({@code head->Blink->Flink == head}). Changes nothing.
     */
    public static void checkInsertable(Memory m, long head) {
        Region hr = resolve(m, head);
        long blink = get(hr, head, LIST_ENTRY.BLINK_OFFSET);
        Region br = blink == head ? hr : resolve(m, blink);
        if (get(br, blink, LIST_ENTRY.FLINK_OFFSET) != head) {
            throw m.corrupt(head, "the list head's last entry 0x" + Long.toHexString(blink) + " does not link back to it");
        }
    }

    /** {@code InsertTailList(head, entry)}: links {@code entry} last; everything resolved and checked first. */
    public static void insertTail(Memory m, long head, long entry) {
        Region hr = resolve(m, head);
        Region er = resolve(m, entry);
        long blink = get(hr, head, LIST_ENTRY.BLINK_OFFSET);
        Region br = blink == head ? hr : resolve(m, blink);
        if (get(br, blink, LIST_ENTRY.FLINK_OFFSET) != head) {
            throw m.corrupt(head, "the list head's last entry 0x" + Long.toHexString(blink) + " does not link back to it");
        }
        // every address resolved and the list consistent: now write
        set(er, entry, LIST_ENTRY.FLINK_OFFSET, head);
        set(er, entry, LIST_ENTRY.BLINK_OFFSET, blink);
        set(br, blink, LIST_ENTRY.FLINK_OFFSET, entry);
        set(hr, head, LIST_ENTRY.BLINK_OFFSET, entry);
    }

    /**
     * Checks that {@code RemoveEntryList(entry)} can run: the entry and both neighbours resolve and
     * point back at it. Changes nothing.
     */
    public static void checkLinked(Memory m, long entry) {
        Region er = resolve(m, entry);
        long flink = get(er, entry, LIST_ENTRY.FLINK_OFFSET);
        long blink = get(er, entry, LIST_ENTRY.BLINK_OFFSET);
        Region fr = resolve(m, flink);
        Region br = resolve(m, blink);
        if (!linkedBack(fr, br, entry, flink, blink)) {
            throw notLinkedBack(m, entry, flink, blink);
        }
    }

    /** Whether {@link #checkLinked} would pass, without failing (shutdown paths). */
    public static boolean isLinked(Memory m, long entry) {
        long size = LIST_ENTRY.X64.size();
        long misaligned = LIST_ENTRY.X64.align() - 1;
        Region er = (entry & misaligned) != 0 ? null : m.find(entry, size);
        if (er == null) {
            return false;
        }
        long flink = get(er, entry, LIST_ENTRY.FLINK_OFFSET);
        long blink = get(er, entry, LIST_ENTRY.BLINK_OFFSET);
        Region fr = (flink & misaligned) != 0 ? null : m.find(flink, size);
        Region br = (blink & misaligned) != 0 ? null : m.find(blink, size);
        return fr != null && br != null && linkedBack(fr, br, entry, flink, blink);
    }

    /**
     * {@code RemoveEntryList(entry)}; the entry's own links are left pointing at itself (so a second
     * removal is harmless). Everything resolved and checked first.
     */
    public static void remove(Memory m, long entry) {
        Region er = resolve(m, entry);
        long flink = get(er, entry, LIST_ENTRY.FLINK_OFFSET);
        long blink = get(er, entry, LIST_ENTRY.BLINK_OFFSET);
        Region fr = resolve(m, flink);
        Region br = resolve(m, blink);
        if (!linkedBack(fr, br, entry, flink, blink)) {
            throw notLinkedBack(m, entry, flink, blink);
        }
        // every address resolved and the links agree: now write
        set(br, blink, LIST_ENTRY.FLINK_OFFSET, flink);
        set(fr, flink, LIST_ENTRY.BLINK_OFFSET, blink);
        set(er, entry, LIST_ENTRY.FLINK_OFFSET, entry);
        set(er, entry, LIST_ENTRY.BLINK_OFFSET, entry);
    }

    private static boolean linkedBack(Region fr, Region br, long entry, long flink, long blink) {
        return get(fr, flink, LIST_ENTRY.BLINK_OFFSET) == entry && get(br, blink, LIST_ENTRY.FLINK_OFFSET) == entry;
    }

    private static RuntimeException notLinkedBack(Memory m, long entry, long flink, long blink) {
        return m.corrupt(entry, "LIST_ENTRY 0x" + Long.toHexString(entry) + " (Flink 0x" + Long.toHexString(flink)
                + ", Blink 0x" + Long.toHexString(blink) + ") is not linked back by its neighbours");
    }

    private static long get(Region r, long address, long field) {
        return r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(address) + field);
    }

    private static void set(Region r, long address, long field, long value) {
        r.segment().set(ValueLayout.JAVA_LONG, r.offsetOf(address) + field, value);
    }
}
