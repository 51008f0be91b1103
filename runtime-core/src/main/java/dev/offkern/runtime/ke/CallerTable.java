package dev.offkern.runtime.ke;

import java.lang.ref.WeakReference;

/**
 * The JVM-wide table that finds the calling thread's {@link ThreadState} without a {@code ThreadLocal}:
 * indexed by {@code Thread.threadId()} (mod {@link #SIZE}), each slot holding one {@link Entry} — a weak
 * reference to a thread's state, with the thread that owns it and the state's kernel as final fields.
 * {@link ThreadState#current()} reads it first; a miss (empty slot, another thread's entry, a kernel that is
 * not running, a cleared reference) goes to the state's {@code ThreadLocal} and the kernel resolver, as
 * before.
 *
 * <p>Implementation overview.
 * <ul>
 *   <li>Why: a {@code ThreadLocal} hit is a chain of dependent loads (thread → map → table → entry → key
 *   compare → value) and then the state's kernel for the run-state check; here it is thread → id → entry,
 *   and the entry's owner, kernel and referent are loaded side by side. A lock acquire+release makes two
 *   lookups (docs/performance.md, "Locks").</li>
 *   <li>Why weak: the entry of an ended thread stays in its slot until another thread takes the slot or its
 *   kernel closes. Holding the state strongly would keep the state, and through the state's Cleaner its
 *   ETHREAD, alive for as long (no thread-end notification, the KTHREAD's pages pinned). The state's one
 *   strong per-thread holder stays the {@code ThreadLocal} ({@code ThreadState.CURRENT}), which the JVM
 *   clears when the thread ends and {@link ThreadState#forget()} clears when it leaves the kernel. A weak
 *   reference is cleared atomically when its referent stops being strongly reachable, before the referent
 *   becomes phantom reachable, so the Cleaner (a phantom reference) never runs while {@link Entry#get()} can
 *   still return the state: a state found here is one whose thread still holds it. The entry holds the
 *   owner {@code Thread} (whose thread locals the JVM drops at its end) and the {@link KernelCore} (dropped
 *   by {@link #forget(KernelCore)} when the kernel shuts down): neither reaches the state.</li>
 *   <li>Validity: an entry is used only by its owner (a final field, compared with
 *   {@code Thread.currentThread()}) and only while its kernel runs ({@link KernelCore#isRunningFast}, a
 *   volatile read); a halted or closed kernel goes to the slow path, which throws or lets the bug check's
 *   own thread through, exactly as before. Entries are written only by their owner thread
 *   ({@link #put}, {@link #remove}: when the state is installed, made or found on the slow path, and when
 *   the thread forgets its state), so whenever a thread finds its own entry it is the one it wrote last,
 *   naming the state its {@code ThreadLocal} holds (every {@code ThreadLocal} set or remove goes with a
 *   put or remove here). Other threads only overwrite a slot with their own entry or clear it
 *   ({@link #forget(KernelCore)}): to the owner that is a miss.</li>
 *   <li>Races: the slots are read and written with plain accesses. A reader that sees another thread's entry
 *   reads only its final fields (safe publication through the final-field rule), compares the owner and
 *   stops. A thread's own writes are ordered by program order, so it never sees an entry of its own older
 *   than its last write. A clear by {@link #forget(KernelCore)} racing with the owner's put can be lost: the
 *   entry left names a kernel that no longer runs (always a miss) and keeps only that closed kernel's core
 *   reachable until the slot is reused.</li>
 * </ul>
 */
public final class CallerTable {
    /** Slots: a power of two (thread ids are dense, mostly: colliding threads only take turns in a slot). */
    static final int SIZE = 1024;
    /** Thread id mod {@link #SIZE} → that thread's entry: a racy hint, plain reads and writes (overview). */
    static final Entry[] BY_THREAD = new Entry[SIZE];

    private CallerTable() {
    }

    /**
     * One thread's entry: a weak reference to its state, the owner thread and the state's kernel. Each
     * state makes its entry once ({@link ThreadState}'s constructor) and reuses it whenever it is put
     * back, so a slow path allocates nothing.
     */
    static final class Entry extends WeakReference<ThreadState> {
        /** The thread whose state this is; the entry is used by this thread only. */
        final Thread owner;
        /** The state's kernel (the run-state check reads it without going through the state). */
        final KernelCore kernel;

        Entry(ThreadState state, Thread owner, KernelCore kernel) {
            super(state);
            this.owner = owner;
            this.kernel = kernel;
        }
    }

    /** The slot of thread {@code t}. */
    static int slot(Thread t) {
        return (int) t.threadId() & (SIZE - 1);
    }

    /** Puts {@code e} in its owner's slot. Call on the owner thread only (overview). */
    static void put(Entry e) {
        BY_THREAD[slot(e.owner)] = e; // plain: a hint; only the owner reads its own entry's referent
    }

    /** Clears the calling thread's slot if it holds this thread's entry. */
    static void remove() {
        Thread t = Thread.currentThread();
        int i = slot(t);
        Entry e = BY_THREAD[i]; // plain: see the overview
        if (e != null && e.owner == t) {
            BY_THREAD[i] = null; // plain: only this thread uses its entry
        }
    }

    /**
     * Clears every entry of {@code closed} (its kernel shuts down: their run-state checks already fail; this
     * drops the references to the core that the entries of idle or ended threads keep). Plain: a clear lost
     * to a racing put leaves an entry that always misses (overview).
     */
    static void forget(KernelCore closed) {
        for (int i = 0; i < SIZE; i++) {
            Entry e = BY_THREAD[i];
            if (e != null && e.kernel == closed) {
                BY_THREAD[i] = null;
            }
        }
    }
}
