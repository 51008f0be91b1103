package dev.offkern.runtime.ex;

import static dev.offkern.ddi.Ex.ExAllocateFromLookasideListEx;
import static dev.offkern.ddi.Ex.ExAllocatePool2;
import static dev.offkern.ddi.Ex.ExDeleteLookasideListEx;
import static dev.offkern.ddi.Ex.ExFreePool;
import static dev.offkern.ddi.Ex.ExFreeToLookasideListEx;
import static dev.offkern.ddi.Ex.ExInitializeLookasideListEx;
import static dev.offkern.ddi.Ex.InitializeSListHead;
import static dev.offkern.ddi.Ex.InterlockedPopEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushEntrySList;
import static dev.offkern.ddi.Ex.InterlockedPushListSListEx;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolType;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The SLIST corruption triggers of issue 8 (#1), each a caller mistake that used to kill the JVM with
 * SIGSEGV in {@code offkern_slist_pop}. Run as a program in a child JVM by
 * {@link ExSListCorruptionTest} (a crash must fail that one test, not the whole test fork): the
 * scenario named by the first argument runs through the DDI on a fresh kernel, and the program prints
 * one line and exits with
 * <ul>
 *   <li>0 and {@code BUGCHECK 0x<code> P1=0x<p1> EXPECTED_P1=0x<bad address>} when a bug check was raised;</li>
 *   <li>2 and {@code NO BUGCHECK} when the whole sequence ran without one;</li>
 *   <li>3 and {@code EXCEPTION <class>: <message>} for any other exception.</li>
 * </ul>
 * A JVM crash shows as its own exit status (134 for SIGSEGV's abort) and hs_err output.
 */
final class SListCorruptionScenarios {
    static final int TAG = 'S' | 'c' << 8 | 'r' << 16 | 'b' << 24;
    static final long SCRIBBLE_NEXT = 0x4141_4141_4141_4141L;

    private SListCorruptionScenarios() {
    }

    public static void main(String[] args) {
        String scenario = args[0];
        int status;
        try (Kernel kernel = Kernel.boot()) {
            kernel.attach();
            kernel.leakReportSink(s -> { }); // the scenarios leak on purpose
            long expected = expectedAddress(scenario);
            try {
                run(scenario);
                System.out.println("NO BUGCHECK");
                status = 2;
            } catch (BugCheck b) {
                System.out.printf(Locale.ROOT, "BUGCHECK 0x%X P1=0x%X EXPECTED_P1=0x%X%n", b.code(), b.parameter1(), expected);
                status = 0;
            }
        } catch (Throwable t) {
            System.out.println("EXCEPTION " + t);
            t.printStackTrace(System.out);
            status = 3;
        }
        System.out.flush();
        System.exit(status);
    }

    /** The address the bug check must name (a scribbled link, with its low four bits as the header keeps them). */
    static long expectedAddress(String scenario) {
        return switch (scenario) {
            case "nextOverwrittenWhileListed", "entryFreedWhileListed", "uninitialisedHeader",
                 "lookasideBlockWrittenAfterFree" -> SCRIBBLE_NEXT & ~0xFL;
            case "pushListFirstNotLinkedToLast" -> SCRIBBLE_NEXT; // the link itself, as push list reads it
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    static void run(String scenario) {
        switch (scenario) {
            case "nextOverwrittenWhileListed" -> nextOverwrittenWhileListed();
            case "uninitialisedHeader" -> uninitialisedHeader();
            case "entryFreedWhileListed" -> entryFreedWhileListed();
            case "pushListFirstNotLinkedToLast" -> pushListFirstNotLinkedToLast();
            case "lookasideBlockWrittenAfterFree" -> lookasideBlockWrittenAfterFree();
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    private static MemorySegment block(long bytes) {
        return ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, bytes, TAG);
    }

    private static void scribble(MemorySegment s) {
        for (long o = 0; o + 8 <= s.byteSize(); o += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, o, SCRIBBLE_NEXT);
        }
    }

    private static MemorySegment header() {
        MemorySegment h = block(16);
        InitializeSListHead(h);
        return h;
    }

    /** An entry's Next overwritten while it is listed, then two pops. */
    static void nextOverwrittenWhileListed() {
        MemorySegment h = header();
        MemorySegment a = block(16);
        MemorySegment b = block(16);
        InterlockedPushEntrySList(h, a);
        InterlockedPushEntrySList(h, b);
        b.set(ValueLayout.JAVA_LONG, 0, SCRIBBLE_NEXT);
        InterlockedPopEntrySList(h);
        InterlockedPopEntrySList(h);
    }

    /** A header in recycled, scribbled pool memory, never passed to InitializeSListHead, then a pop. */
    static void uninitialisedHeader() {
        MemorySegment old = block(16);
        scribble(old);
        ExFreePool(old);
        MemorySegment h = block(16); // recycled (the same block, or another: either way never initialised)
        scribble(h);
        InterlockedPopEntrySList(h);
    }

    /** An entry freed while listed and its block reused (scribbled), then two pops. */
    static void entryFreedWhileListed() {
        MemorySegment h = header();
        MemorySegment a = block(16);
        MemorySegment b = block(16);
        InterlockedPushEntrySList(h, a);
        InterlockedPushEntrySList(h, b);
        ExFreePool(b);
        MemorySegment reuse = block(16);
        scribble(reuse.address() == b.address() ? reuse : b); // b's memory, now somebody else's
        InterlockedPopEntrySList(h);
        InterlockedPopEntrySList(h);
    }

    /** InterlockedPushListSListEx(head, first, last, 2) with first not linked to last, then two pops. */
    static void pushListFirstNotLinkedToLast() {
        MemorySegment h = header();
        MemorySegment first = block(16);
        MemorySegment last = block(16);
        scribble(first); // first->Next is garbage, not last
        InterlockedPushListSListEx(h, first, last, 2);
        InterlockedPopEntrySList(h);
        InterlockedPopEntrySList(h);
    }

    /** A block written after ExFreeToLookasideListEx, then two allocations. */
    static void lookasideBlockWrittenAfterFree() {
        MemorySegment list = block(ExLookaside.LOOKASIDE_LIST_EX_SIZE);
        ExInitializeLookasideListEx(list, null, null, PoolType.NonPagedPool, 0, 64, TAG, 0);
        MemorySegment x = ExAllocateFromLookasideListEx(list);
        ExFreeToLookasideListEx(list, x);
        scribble(x); // use after free: its Next (the cached list's link) is overwritten
        ExAllocateFromLookasideListEx(list);
        ExAllocateFromLookasideListEx(list);
        ExDeleteLookasideListEx(list);
    }
}
