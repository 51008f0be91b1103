package dev.offkern.runtime.ex;

import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.runtime.ke.CallerMemory;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ke.WakeBlock;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Run-down protection on an {@code EX_RUNDOWN_REF}: the one pointer-sized word that lets accessors
 * of a shared object take cheap references while the owner can "run the object down" (refuse new
 * references, then wait until the granted ones are released) before deleting it.
 *
 * <pre>{@code
 * typedef struct _EX_RUNDOWN_REF {
 *   union { volatile ULONG_PTR Count; volatile PVOID Ptr; };
 * } EX_RUNDOWN_REF, *PEX_RUNDOWN_REF;      // x64: 8 bytes, 8-byte aligned
 * }</pre>
 *
 * The word, as Windows encodes it (x64):
 * <pre>
 *   63                                                          1   0
 *  +-------------------------------------------------------------+---+
 *  | holders (Count >> EX_RUNDOWN_COUNT_SHIFT)                   | 0 |  not running down
 *  +-------------------------------------------------------------+---+
 *  | address of the waiter's EX_RUNDOWN_WAIT_BLOCK (16-aligned)  | 1 |  run-down in progress
 *  +-------------------------------------------------------------+---+
 *  | 0                                                           | 1 |  run down (EX_RUNDOWN_ACTIVE)
 *  +-------------------------------------------------------------+---+
 * </pre>
 *
 * <p>Which calls may run concurrently on one word:
 * <pre>
 *                 Acquire  Release  Wait   Completed  ReInitialize/Initialize
 *  Acquire          yes      yes    yes       no          no
 *  Release          yes      yes    yes       no          no
 *  Wait             yes      yes    no(1)     no          no
 * </pre>
 * (1) one waiter per run-down; a second concurrent waiter is refused with an exception.
 *
 * <p>IRQL: acquire/release &le; DISPATCH_LEVEL (the word in non-paged memory); initialize, wait,
 * completed, re-initialize &le; APC_LEVEL. The verifier (IRQL family) raises
 * DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: the word's address, the IRQL, 1 = write, 0) above those.
 * Progress: acquire and release are lock-free (one CAS when uncontended); wait is blocking. Memory consistency: every operation on the word is a
 * volatile-mode (sequentially consistent) access, as the Interlocked operations are full barriers;
 * so writes a thread makes before initializing or releasing happen-before whatever a thread does
 * after a later successful acquire or after the wait returns.
 */
public final class ExRundown {

    /* Implementation overview
     *
     * Fast paths (acquire, release): read the word, one compareAndSet; a failed CAS or a word with
     * EX_RUNDOWN_ACTIVE set goes to a private slow method. Acquire's linearization point is its
     * successful CAS; a failed acquire linearizes at the read that saw bit 0.
     *
     * Wait: CAS 0 -> EX_RUNDOWN_ACTIVE finishes at once when nobody holds protection. Otherwise the
     * waiter sets the Count of its EX_RUNDOWN_WAIT_BLOCK — the RundownWaitBlock view of its
     * thread block's wake block (ke.WakeBlock: Count + a SynchronizationEvent, where Windows uses
     * its stack) — to the holder count and CASes (blockAddress | 1) into the word. That CAS is the
     * linearization point of "the run-down has begun": every acquire after it sees bit 0 and
     * fails. Releases that find bit 0 set resolve the block through the address space (checked to
     * be a thread's wake block before anything is written) and decrement its Count; the one that
     * reaches zero sets WakeEvent (KeSetEvent). The waiter waits on WakeEvent through the
     * dispatcher (KeWaitForSingleObject: one wait mechanism), so Kernel.close() and a HALT bug
     * check end the wait with IllegalStateException / KernelHaltedException as they end any wait.
     * Exactly one release signals per run-down, and the waiter waits exactly once: the event is
     * left not signalled for the thread's next wait.
     *
     * Difference from Windows: when the wait returns, offkern stores EX_RUNDOWN_ACTIVE in the word
     * (what ExRundownCompleted stores) instead of leaving the stale wait-block pointer. No holder
     * remains, so nobody else writes the word then; the effect is that a stray extra release or a
     * second wait meets a clean "run down" word instead of a pointer to a block the waiter reuses.
     *
     * Bad input: the word must be 8-byte aligned (checked at initialization, always; VarHandle
     * accesses on a misaligned word fail with the JDK's misalignment exception). Releasing more than
     * was acquired has no documented bug check: offkern throws IllegalStateException (always when a
     * run-down is in progress or done; under the verifier also before, where it costs one compare).
     *
     * The word's offset, size and constants come from memory-layouts' EX_RUNDOWN_REF (x64 layout:
     * the runtime runs on x64 hosts; the x86 layout is there for layout tools).
     */

    /** {@code EX_RUNDOWN_ACTIVE}: bit 0, set while running down and once run down. */
    public static final long EX_RUNDOWN_ACTIVE = EX_RUNDOWN_REF.EX_RUNDOWN_ACTIVE;
    /** {@code EX_RUNDOWN_COUNT_SHIFT}: the holder count sits above bit 0. */
    public static final int EX_RUNDOWN_COUNT_SHIFT = EX_RUNDOWN_REF.EX_RUNDOWN_COUNT_SHIFT;
    /** {@code EX_RUNDOWN_COUNT_INC}: one holder in the word's units. */
    public static final long EX_RUNDOWN_COUNT_INC = EX_RUNDOWN_REF.EX_RUNDOWN_COUNT_INC;


    private ExRundown() {
    }

    // ===== EX_RUNDOWN_REF =====

    /** {@code ExInitializeRundownProtection}: Count := 0, not run down. */
    public static void initialize(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExInitializeRundownProtection");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExInitializeRundownProtection", "RunRef");
        checkWord(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, "ExInitializeRundownProtection");
        init(runRef, EX_RUNDOWN_REF.COUNT_OFFSET);
    }

    /**
     * {@code ExReInitializeRundownProtection}: makes a run-down reference usable again. The word must
     * show "run down" (the wait returned; ExRundownCompleted optional); under the verifier anything
     * else throws.
     */
    public static void reInitialize(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExReInitializeRundownProtection");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExReInitializeRundownProtection", "RunRef");
        reInit(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, "ExReInitializeRundownProtection");
    }

    /** {@code ExAcquireRundownProtection}: TRUE when granted, FALSE once a run-down has begun. */
    public static boolean acquire(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExAcquireRundownProtection");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExAcquireRundownProtection", "RunRef");
        return acquire(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, EX_RUNDOWN_COUNT_INC);
    }

    /**
     * {@code ExAcquireRundownProtectionEx}: {@code count} (a ULONG) references at once, all or none.
     * Count 0 succeeds without a change while not running down.
     */
    public static boolean acquireEx(MemorySegment runRef, int count) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExAcquireRundownProtectionEx");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExAcquireRundownProtectionEx", "RunRef");
        return acquire(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, Integer.toUnsignedLong(count) << EX_RUNDOWN_COUNT_SHIFT);
    }

    /** {@code ExReleaseRundownProtection}. */
    public static void release(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExReleaseRundownProtection");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExReleaseRundownProtection", "RunRef");
        release(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, EX_RUNDOWN_COUNT_INC, true);
    }

    /** {@code ExReleaseRundownProtectionEx}: releases {@code count} (a ULONG) references. */
    public static void releaseEx(MemorySegment runRef, int count) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExReleaseRundownProtectionEx");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExReleaseRundownProtectionEx", "RunRef");
        if (count != 0) {
            release(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, Integer.toUnsignedLong(count) << EX_RUNDOWN_COUNT_SHIFT, true);
        }
    }

    /**
     * {@code ExWaitForRundownProtectionRelease}: from now on every acquire fails; returns once every
     * granted protection has been released. Returns at once if nothing is held or the reference is
     * already run down. Non-alertable: an interrupt does not end the wait.
     *
     * @throws IllegalStateException if another thread's run-down of this reference is in progress,
     *     or if the kernel closes while the thread waits ("this offkern kernel is closed ...")
     * @throws dev.offkern.nt.KernelHaltedException if a bug check halts the kernel while the thread waits
     */
    public static void waitForRelease(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExWaitForRundownProtectionRelease");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExWaitForRundownProtectionRelease", "RunRef");
        long v = (long) COUNT.compareAndExchange(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, 0L, EX_RUNDOWN_ACTIVE); // full barrier; LP when 0
        if (v != 0 && v != EX_RUNDOWN_ACTIVE) {
            waitSlow(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, v);
        }
    }

    /**
     * {@code ExRundownCompleted}: word := EX_RUNDOWN_ACTIVE, so that the reference stays run down
     * (acquires fail, waits return at once). Pre: a completed wait; under the verifier a word without
     * bit 0 throws.
     */
    public static void completed(MemorySegment runRef) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runRef.address(), IrqlChecks.WRITE, "ExRundownCompleted");
        }
        runRef = CallerMemory.structure(runRef, EX_RUNDOWN_REF.LAYOUT.byteSize(), EX_RUNDOWN_REF.LAYOUT.byteAlignment(), "ExRundownCompleted", "RunRef");
        complete(runRef, EX_RUNDOWN_REF.COUNT_OFFSET, "ExRundownCompleted");
    }

    /** Reads the word (diagnostics, tests): the raw Count/Ptr value. */
    public static long word(MemorySegment runRef) {
        return (long) COUNT.getVolatile(runRef, EX_RUNDOWN_REF.COUNT_OFFSET); // volatile: a consistent snapshot
    }

    // ===== the word at an offset: shared with the cache-aware stripes =====

    static void init(MemorySegment seg, long off) {
        COUNT.setVolatile(seg, off, 0L); // release: publishes the caller's prior writes to later acquirers
    }

    static void reInit(MemorySegment seg, long off, String routine) {
        if (Verifier.ENABLED) {
            long v = (long) COUNT.getVolatile(seg, off); // volatile: check against the latest state
            if (v != EX_RUNDOWN_ACTIVE) {
                throw notRunDown(routine, seg, off, v);
            }
        }
        COUNT.setVolatile(seg, off, 0L); // release: the reference protects a new object from here on
    }

    static void complete(MemorySegment seg, long off, String routine) {
        if (Verifier.ENABLED) {
            long v = (long) COUNT.getVolatile(seg, off); // volatile: check against the latest state
            if ((v & EX_RUNDOWN_ACTIVE) == 0 || (v != EX_RUNDOWN_ACTIVE && !waitDone(v))) {
                throw notRunDown(routine, seg, off, v);
            }
        }
        COUNT.setVolatile(seg, off, EX_RUNDOWN_ACTIVE); // volatile store: nobody else writes a run-down word
    }

    /** Acquire fast path: one CAS. {@code inc} is in word units (holders * 2). */
    static boolean acquire(MemorySegment seg, long off, long inc) {
        long v = (long) COUNT.getVolatile(seg, off); // volatile read: the CAS below re-validates it anyway
        if ((v & EX_RUNDOWN_ACTIVE) != 0) {
            return false; // LP of a failed acquire: the run-down has begun
        }
        if (COUNT.compareAndSet(seg, off, v, v + inc)) { // full barrier; LP of a granted acquire
            return true;
        }
        return acquireSlow(seg, off, inc);
    }

    private static boolean acquireSlow(MemorySegment seg, long off, long inc) {
        long v = (long) COUNT.getVolatile(seg, off); // volatile read before retrying
        for (;;) {
            if ((v & EX_RUNDOWN_ACTIVE) != 0) {
                return false;
            }
            long w = (long) COUNT.compareAndExchange(seg, off, v, v + inc); // full barrier; LP on success
            if (w == v) {
                return true;
            }
            v = w;
        }
    }

    /**
     * Release fast path: one CAS. {@code dec} is in word units. {@code checked}: a plain reference
     * (its count never legitimately drops below zero); false for cache-aware stripes, whose counts may.
     */
    static void release(MemorySegment seg, long off, long dec, boolean checked) {
        long v = (long) COUNT.getVolatile(seg, off); // volatile read: re-validated by the CAS
        if ((v & EX_RUNDOWN_ACTIVE) == 0
                && !(checked && Verifier.ENABLED && Long.compareUnsigned(v, dec) < 0)
                && COUNT.compareAndSet(seg, off, v, v - dec)) { // full barrier: publishes the holder's writes to the waiter
            return;
        }
        releaseSlow(seg, off, dec, checked);
    }

    private static void releaseSlow(MemorySegment seg, long off, long dec, boolean checked) {
        long v = (long) COUNT.getVolatile(seg, off); // volatile read before retrying
        for (;;) {
            if ((v & EX_RUNDOWN_ACTIVE) != 0) {
                releaseToWaiter(seg, off, v, dec >>> EX_RUNDOWN_COUNT_SHIFT, checked);
                return;
            }
            if (checked && Verifier.ENABLED && Long.compareUnsigned(v, dec) < 0) {
                throw overRelease("ExReleaseRundownProtection", seg, off, v, dec >>> EX_RUNDOWN_COUNT_SHIFT);
            }
            long w = (long) COUNT.compareAndExchange(seg, off, v, v - dec); // full barrier
            if (w == v) {
                return;
            }
            v = w;
        }
    }

    /**
     * A release that met a run-down in progress: take {@code holders} off the waiter's block; the
     * release that brings it to zero signals the waiter. The block is valid here: its owner cannot
     * return before this release (one of the holders it waits for) has signalled.
     */
    private static void releaseToWaiter(MemorySegment seg, long off, long word, long holders, boolean checked) {
        if (word == EX_RUNDOWN_ACTIVE) {
            throw overRelease("ExReleaseRundownProtection", seg, off, word, holders);
        }
        long blockAddress = word & ~EX_RUNDOWN_ACTIVE;
        ThreadState t = ThreadState.current();
        // 0x50 if unmapped, IllegalStateException if not a wake block: checked before the Count changes
        Region r = WakeBlock.resolve(t, blockAddress, "the EX_RUNDOWN_REF being run down");
        MemorySegment block = r.segment();
        long countOff = r.offsetOf(blockAddress) + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET;
        long c = (long) COUNT.getVolatile(block, countOff); // volatile read of the waiter's count
        for (;;) {
            if (checked && c < holders) {
                throw overRelease("ExReleaseRundownProtection", seg, off, word, holders);
            }
            long w = (long) COUNT.compareAndExchange(block, countOff, c, c - holders); // full barrier: publishes to the waiter
            if (w == c) {
                break;
            }
            c = w;
        }
        if (c - holders == 0) {
            WakeBlock.signal(t, r, blockAddress); // the last holder wakes the waiter (KeSetEvent on its WakeEvent)
        }
    }

    private static void waitSlow(MemorySegment seg, long off, long v) {
        ThreadState t = null;
        for (;;) {
            if ((v & EX_RUNDOWN_ACTIVE) != 0) {
                if (v == EX_RUNDOWN_ACTIVE) {
                    return; // already run down (a racing waiter found it idle): nothing to wait for
                }
                throw new IllegalStateException("ExWaitForRundownProtectionRelease: EX_RUNDOWN_REF at 0x"
                        + Long.toHexString(seg.address() + off) + " is already being run down by another thread (word 0x"
                        + Long.toHexString(v) + "): only one thread may wait");
            }
            if (v == 0) {
                long w = (long) COUNT.compareAndExchange(seg, off, 0L, EX_RUNDOWN_ACTIVE); // full barrier; LP when it succeeds
                if (w == 0) {
                    return;
                }
                v = w;
                continue;
            }
            if (t == null) {
                t = ThreadState.current();
            }
            // Count := holders, in the thread's own block; published by the CAS that stores the block's address
            COUNT.set(t.block(), WakeBlock.RUNDOWN_WAIT_BLOCK_IN_KTHREAD + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET,
                    v >>> EX_RUNDOWN_COUNT_SHIFT);
            long w = (long) COUNT.compareAndExchange(seg, off, v, WakeBlock.address(t) | EX_RUNDOWN_ACTIVE); // full barrier; LP: run-down begins
            if (w == v) {
                break;
            }
            v = w;
        }
        WakeBlock.await(t); // a dispatcher wait: ends by throwing if the kernel closes or halts
        COUNT.setVolatile(seg, off, EX_RUNDOWN_ACTIVE); // no holder remains: drop the block pointer (see overview)
    }

    /** Whether {@code word} points at a wait block whose count has reached zero (its wait is over). */
    private static boolean waitDone(long word) {
        long blockAddress = word & ~EX_RUNDOWN_ACTIVE;
        if ((blockAddress & (EX_RUNDOWN_WAIT_BLOCK.LAYOUT.byteAlignment() - 1)) != 0) {
            return false; // no wait block is there: a scribbled or stale word (read it and FFM refuses the alignment)
        }
        Region r = ThreadState.current().kernel().addressSpace().find(blockAddress, EX_RUNDOWN_WAIT_BLOCK.LAYOUT.byteSize());
        return r != null && (long) COUNT.getVolatile(r.segment(), r.offsetOf(blockAddress) + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET) == 0; // volatile: latest count
    }

    static void checkWord(MemorySegment seg, long off, String routine) {
        long address = seg.address() + off;
        if ((address & (EX_RUNDOWN_REF.LAYOUT.byteSize() - 1)) != 0) {
            throw new IllegalArgumentException(routine + ": EX_RUNDOWN_REF at 0x" + Long.toHexString(address)
                    + " is not 8-byte aligned");
        }
        if (off < 0 || seg.byteSize() - off < EX_RUNDOWN_REF.LAYOUT.byteSize()) {
            throw new IllegalArgumentException(routine + ": the segment (" + seg.byteSize()
                    + " bytes) does not hold an EX_RUNDOWN_REF at offset " + off);
        }
    }

    // ===== word primitives for ExRundownCacheAware's sweep (this class owns the word's VarHandle) =====

    /** Volatile read of a word (a stripe, or a wait block's count). */
    static long getWord(MemorySegment seg, long off) {
        return (long) COUNT.getVolatile(seg, off); // volatile: pairs with every CAS on the word
    }

    /** Volatile CAS of a word; returns the witness value. */
    static long exchangeWord(MemorySegment seg, long off, long expected, long value) {
        return (long) COUNT.compareAndExchange(seg, off, expected, value); // full barrier (Interlocked)
    }

    /** Volatile store of a word. */
    static void setWord(MemorySegment seg, long off, long value) {
        COUNT.setVolatile(seg, off, value); // volatile store: no other writer at the call sites
    }

    /** Atomic add on a word; returns the value before. */
    static long addWord(MemorySegment seg, long off, long delta) {
        return (long) COUNT.getAndAdd(seg, off, delta); // full barrier (InterlockedExchangeAdd)
    }

    static IllegalStateException overRelease(String routine, MemorySegment seg, long off, long word, long holders) {
        return new IllegalStateException(routine + ": releasing " + holders + " protection(s) of the EX_RUNDOWN_REF at 0x"
                + Long.toHexString(seg.address() + off) + " (word 0x" + Long.toHexString(word)
                + ") releases more than was acquired");
    }

    private static IllegalStateException notRunDown(String routine, MemorySegment seg, long off, long word) {
        return new IllegalStateException(routine + ": the EX_RUNDOWN_REF at 0x" + Long.toHexString(seg.address() + off)
                + " is not run down (word 0x" + Long.toHexString(word)
                + "); call ExWaitForRundownProtectionRelease first");
    }

    // ===== VarHandle mechanics =====

    /**
     * EX_RUNDOWN_REF.Count as a 64-bit word, (MemorySegment, long offset) coordinates; also used on
     * the waiter's EX_RUNDOWN_WAIT_BLOCK.Count, which this class's protocol owns while the block is
     * published in a word.
     * Volatile mode throughout: Interlocked operations are full barriers.
     */
    private static final VarHandle COUNT = ValueLayout.JAVA_LONG.varHandle();
}
