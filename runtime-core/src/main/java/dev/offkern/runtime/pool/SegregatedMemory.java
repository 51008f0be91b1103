package dev.offkern.runtime.pool;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The memory of a pool's segregated chunks (the Thread objects' pages, {@link PageAllocator}) and
 * the pins that keep it mapped past the pool's close: its arena is closed when the pool has closed
 * <em>and</em> no pin is held — at the pool's close if none is, else by the release of the last one.
 *
 * <p>Why: a thread state stores into its own KTHREAD (the APC-disable counts, the owned-mutex count)
 * without a segment's scope check, which is safe only while the KTHREAD's page is mapped. The state
 * holds its ETHREAD referenced while it lives (so the block is not freed, and freed pool memory stays
 * mapped anyway); a pin taken with that reference and released by the state's Cleaner covers the one
 * remaining case, the kernel's close unmapping the pool while a thread is between its run-state check
 * and the store. The logical free of an ETHREAD and the leak report are unaffected: pins decide only
 * when the pages are unmapped.
 *
 * <p>Holds nothing but the arena and the count, so a pending release (a Cleaner action of a state
 * that outlives its kernel) keeps neither the pool nor the kernel reachable.
 *
 * <p>Threading: every method may be called from any thread; all state is guarded by this object's
 * monitor (pins are taken once per thread state and released once: no hot path).
 */
final class SegregatedMemory {
    private final Arena arena = Arena.ofShared();
    /** Pins held. Guarded by this. */
    private int pins;
    /** The pool has closed: the arena closes when {@link #pins} reaches 0. Guarded by this. */
    private boolean poolClosed;
    /** The arena is closed. Guarded by this. */
    private boolean unmapped;

    /** The arena the segregated chunks are mapped from (allocations only under the page allocator's monitor, before its close). */
    Arena arena() {
        return arena;
    }

    /**
     * Takes a pin; returns its release, which runs once (later runs do nothing).
     *
     * @throws IllegalStateException if the pool has closed (nothing new may pin its memory)
     */
    synchronized Runnable pin() {
        if (poolClosed) {
            throw new IllegalStateException("the pool is closed: its segregated memory takes no new pin");
        }
        pins++;
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) { // volatile CAS: one release per pin, whoever runs it
                unpin();
            }
        };
    }

    private synchronized void unpin() {
        pins--;
        if (pins == 0 && poolClosed) {
            unmap();
        }
    }

    /** The pool has closed (its chunks are unregistered): unmaps now if no pin is held. */
    synchronized void poolClosed() {
        poolClosed = true;
        if (pins == 0) {
            unmap();
        }
    }

    /** Whether the memory is still mapped (false once the arena is closed). */
    synchronized boolean mapped() {
        return !unmapped;
    }

    private void unmap() {
        if (!unmapped) {
            unmapped = true;
            arena.close(); // a shared arena: threads in a checked access to it see it closed, as at any pool close
        }
    }
}
