package dev.offkern.runtime.ex;

import dev.offkern.layout.ex.EX_RUNDOWN_REF;
import dev.offkern.layout.ex.EX_RUNDOWN_REF_CACHE_AWARE;
import dev.offkern.layout.ex.EX_RUNDOWN_WAIT_BLOCK;
import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.nt.ALLOCATE_FUNCTION;
import dev.offkern.nt.DatatypeMisalignmentException;
import dev.offkern.nt.FREE_FUNCTION;
import dev.offkern.runtime.ke.CallerMemory;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ke.WakeBlock;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Cache-aware run-down protection ({@code EX_RUNDOWN_REF_CACHE_AWARE}): the holder count of one
 * run-down reference spread over per-processor {@code EX_RUNDOWN_REF} stripes, each on its own cache
 * line(s), so that accessors on different processors do not fight over one line. Costs memory; the
 * run-down itself (the wait) visits every stripe.
 *
 * <p>The type is opaque in the WDK (only {@code PEX_RUNDOWN_REF_CACHE_AWARE} is declared). offkern's
 * layout ({@link EX_RUNDOWN_REF_CACHE_AWARE}) follows the one ReactOS/the NDK give (x64):
 * <pre>
 *  0x00  PEX_RUNDOWN_REF RunRefs      address of stripe 0
 *  0x08  PVOID           PoolToFree   the pool block to free (ExAllocate...), NULL when caller-owned
 *  0x10  ULONG           RunRefSize   stride between stripes: 8 on one processor, else 128
 *  0x14  ULONG           Number       number of stripes
 *  0x18  ...             padding up to the next 128-byte boundary, then Number stripes:
 *        EX_RUNDOWN_REF  stripe[i] at RunRefs + i * RunRefSize (each alone on its 128 bytes)
 * </pre>
 * Caller-owned buffers ({@link #initialize}) and pool-allocated ones ({@link #allocate}) hold header
 * and stripes in one block; {@link #sizeOf()} includes one stride of slack to align stripe 0.
 *
 * <p>A thread touches stripe {@code KeGetCurrentProcessorNumber() % Number} (the calling thread's
 * processor in the kernel's processor model). A release may land on a
 * different stripe than its acquire (Windows allows it: the processor may have changed), so a
 * stripe's count may wrap below zero; only the sum over the stripes means anything.
 *
 * <p>IRQL: acquire/release &le; DISPATCH_LEVEL (non-paged); the rest &le; APC_LEVEL. Progress:
 * acquire/release lock-free (one CAS on the caller's stripe when uncontended); wait blocking.
 * Memory consistency: as {@link ExRundown}.
 */
public final class ExRundownCacheAware {

    /* Implementation overview
     *
     * Each stripe is an EX_RUNDOWN_REF driven by ExRundown's word routines (acquire/release with the
     * underflow check off: stripes legitimately go negative).
     *
     * Wait: the waiter sets the Count of its EX_RUNDOWN_WAIT_BLOCK (its thread's wake block,
     * ke.WakeBlock) to 0 and sweeps the stripes, CASing (block | EX_RUNDOWN_ACTIVE) into each and
     * adding up the values it replaced (mod 2^64 the sum is 2 * outstanding holders). Stripe 0 is
     * swept first and is the claim: a second waiter meets bit 0 there and fails before it touches
     * anything. A release that finds a swept stripe decrements the shared block count, which
     * therefore runs negative during the sweep; it signals only when its decrement reaches exactly
     * zero, which cannot happen before the waiter adds the sum (the count is <= 0 until then). The
     * waiter then adds the sum: reaching zero means every holder already released; otherwise it
     * waits on the block's event through the dispatcher (so Kernel.close() and a HALT bug check end
     * the wait by throwing) until the last release sets it. Finally every stripe gets
     * EX_RUNDOWN_ACTIVE (no holder remains; see ExRundown's overview).
     *
     * Linearization: a stripe refuses acquires from the moment the sweep passes it; an acquire on a
     * stripe the sweep has not reached yet still succeeds and is counted by the sweep (Windows
     * behaves the same). So "no acquire succeeds once the wait has begun" holds per stripe, and for
     * the whole reference once the sweep is done; the wait never returns while a protection is held.
     *
     * Every access to a stripe word or to the wait block's count goes through ExRundown, which owns
     * the word's VarHandle (volatile mode throughout).
     *
     * Release on a swept stripe cannot check for over-release (the shared count is legitimately
     * negative during the sweep); the waiter detects a sum that comes out negative, marks every
     * stripe run down (so no stripe refers to its block any more) and throws.
     *
     * A stripe other than 0 found already running down (the structure was changed under the wait:
     * a concurrent ExRundownCompletedCacheAware or ReInitialize) aborts the sweep: the swept
     * stripes get back the values they had, the holders released through the block meanwhile are
     * released on stripe 0, and the wait throws. A release that read a swept stripe just before the
     * roll-back and decrements the block just after it is not counted (the misuse's only residue).
     */

    /**
     * {@code KeGetRecommendedSharedDataAlignment()}: the stride between stripes on a multiprocessor,
     * 128 bytes as Windows reports on current x64 parts (the adjacent-line prefetcher pairs 64-byte lines).
     */
    public static final int RECOMMENDED_SHARED_DATA_ALIGNMENT = 128;

    private ExRundownCacheAware() {
    }

    /**
     * {@code ExSizeOfRundownProtectionCacheAware}: bytes a caller-owned buffer needs. One processor:
     * header + one EX_RUNDOWN_REF; else header + (processors + 1) strides (one for alignment).
     */
    public static long sizeOf() {
        return sizeOf(ThreadState.current().kernel().processorCount());
    }

    /** The size for {@code processors} processors. */
    static long sizeOf(int processors) {
        return EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize() + (processors <= 1 ? EX_RUNDOWN_REF.LAYOUT.byteSize() : (long) (processors + 1) * RECOMMENDED_SHARED_DATA_ALIGNMENT);
    }

    /**
     * {@code ExAllocateCacheAwareRundownProtection}: allocates one block of {@link #sizeOf()} bytes
     * from the pool {@code poolType} selects, tagged {@code poolTag}, and initializes it; its
     * PoolToFree is the block itself. Returns {@code MemorySegment.NULL} when the pool is exhausted
     * (unless POOL_RAISE_IF_ALLOCATION_FAILURE asks for an exception).
     *
     * @param allocatePool the kernel's {@code ExAllocatePoolWithTag} (the facade passes it: the pool
     *     policy lives with the pool, not here)
     */
    public static MemorySegment allocate(int poolType, int poolTag, ALLOCATE_FUNCTION allocatePool) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, "ExAllocateCacheAwareRundownProtection");
        }
        long size = sizeOf();
        MemorySegment block = allocatePool.allocate(poolType, size, poolTag);
        if (block.address() == 0) {
            return MemorySegment.NULL;
        }
        initialize(block, size);
        block.set(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.POOL_TO_FREE_OFFSET, block.address());
        return block;
    }

    /**
     * {@code ExFreeCacheAwareRundownProtection}: frees a structure from {@link #allocate}.
     *
     * @param freePool the kernel's {@code ExFreePool} (passed by the facade)
     * @throws IllegalArgumentException for a caller-owned structure (PoolToFree NULL)
     */
    public static void free(MemorySegment rr, FREE_FUNCTION freePool) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, rr.address(), IrqlChecks.WRITE, "ExFreeCacheAwareRundownProtection");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExFreeCacheAwareRundownProtection", "RunRefCacheAware");
        long poolToFree = rr.get(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.POOL_TO_FREE_OFFSET);
        if (poolToFree == 0) {
            throw new IllegalArgumentException("ExFreeCacheAwareRundownProtection: the EX_RUNDOWN_REF_CACHE_AWARE at 0x"
                    + Long.toHexString(rr.address()) + " was not allocated by ExAllocateCacheAwareRundownProtection");
        }
        freePool.free(MemorySegment.ofAddress(poolToFree)); // the tag is not known here (as in Windows)
    }

    /**
     * {@code ExInitializeRundownProtectionCacheAware}: lays the structure out in the caller's buffer of
     * {@code runRefSize} bytes (normally {@link #sizeOf()}). A buffer of exactly header + 8 bytes gets
     * one unpadded stripe; a larger one as many 128-byte stripes as fit after aligning stripe 0.
     *
     * @throws IllegalArgumentException if the buffer is misaligned, smaller than {@code runRefSize}, or
     *     too small for one stripe
     */
    public static void initialize(MemorySegment runRefCacheAware, long runRefSize) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runRefCacheAware.address(), IrqlChecks.WRITE, "ExInitializeRundownProtectionCacheAware");
        }
        runRefCacheAware = CallerMemory.structure(runRefCacheAware, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExInitializeRundownProtectionCacheAware", "RunRefCacheAware");
        long base = runRefCacheAware.address();
        if (!EX_RUNDOWN_REF_CACHE_AWARE.X64.isAligned(base)) {
            throw new IllegalArgumentException("ExInitializeRundownProtectionCacheAware: buffer at 0x"
                    + Long.toHexString(base) + " is not " + EX_RUNDOWN_REF_CACHE_AWARE.X64.align() + "-byte aligned");
        }
        if (runRefSize < 0 || runRefCacheAware.byteSize() < runRefSize) {
            throw new IllegalArgumentException("ExInitializeRundownProtectionCacheAware: RunRefSize " + runRefSize
                    + " does not fit in the " + runRefCacheAware.byteSize() + "-byte buffer passed");
        }
        long stride;
        long number;
        long runRefs;
        if (runRefSize == EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize() + EX_RUNDOWN_REF.LAYOUT.byteSize()) {
            stride = EX_RUNDOWN_REF.LAYOUT.byteSize();
            number = 1;
            runRefs = base + EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize();
        } else {
            stride = RECOMMENDED_SHARED_DATA_ALIGNMENT;
            number = runRefSize < EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize() ? 0 : (runRefSize - EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize()) / stride - 1;
            runRefs = (base + EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize() + stride - 1) & -stride;
        }
        if (number < 1) {
            throw new IllegalArgumentException("ExInitializeRundownProtectionCacheAware: RunRefSize " + runRefSize
                    + " is too small for one stripe (use ExSizeOfRundownProtectionCacheAware(), "
                    + sizeOf() + " here, or exactly " + (EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize() + EX_RUNDOWN_REF.LAYOUT.byteSize()) + ")");
        }
        layOut(runRefCacheAware, runRefs, 0, stride, (int) Math.min(number, Integer.MAX_VALUE));
    }

    /** Writes the header and initializes every stripe. */
    static void layOut(MemorySegment rr, long runRefs, long poolToFree, long stride, int number) {
        rr.set(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET, runRefs);
        rr.set(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.POOL_TO_FREE_OFFSET, poolToFree);
        rr.set(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET, (int) stride);
        rr.set(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.NUMBER_OFFSET, number);
        for (int i = 0; i < number; i++) {
            long a = runRefs + i * stride;
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.init(seg, stripeOffset(rr, seg, a)); // volatile store: publishes the header writes too
        }
    }

    /** {@code ExAcquireRundownProtectionCacheAware}: on the caller's stripe. */
    public static boolean acquire(MemorySegment rr) {
        return acquireEx(rr, 1);
    }

    /** {@code ExAcquireRundownProtectionCacheAwareEx}: {@code count} references on the caller's stripe. */
    public static boolean acquireEx(MemorySegment rr, int count) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, rr.address(), IrqlChecks.WRITE, "ExAcquireRundownProtectionCacheAware");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExAcquireRundownProtectionCacheAware", "RunRefCacheAware");
        long a = stripeAddress(rr, ThreadState.current().processorNumber());
        MemorySegment seg = stripeSegment(rr, a);
        return ExRundown.acquire(seg, stripeOffset(rr, seg, a), Integer.toUnsignedLong(count) << ExRundown.EX_RUNDOWN_COUNT_SHIFT);
    }

    /** {@code ExReleaseRundownProtectionCacheAware}: on the caller's (current) stripe. */
    public static void release(MemorySegment rr) {
        releaseEx(rr, 1);
    }

    /** {@code ExReleaseRundownProtectionCacheAwareEx}. */
    public static void releaseEx(MemorySegment rr, int count) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.DISPATCH_LEVEL, rr.address(), IrqlChecks.WRITE, "ExReleaseRundownProtectionCacheAware");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExReleaseRundownProtectionCacheAware", "RunRefCacheAware");
        if (count == 0) {
            return;
        }
        long a = stripeAddress(rr, ThreadState.current().processorNumber());
        MemorySegment seg = stripeSegment(rr, a);
        ExRundown.release(seg, stripeOffset(rr, seg, a), Integer.toUnsignedLong(count) << ExRundown.EX_RUNDOWN_COUNT_SHIFT, false);
    }

    /**
     * {@code ExAcquireRundownProtectionCacheAwareEx} on a given stripe: for tests and tools that model
     * a thread moving between processors (the release then lands elsewhere).
     */
    public static boolean acquireOnStripe(MemorySegment rr, int stripe, int count) {
        long a = stripeAddress(rr, stripe);
        MemorySegment seg = stripeSegment(rr, a);
        return ExRundown.acquire(seg, stripeOffset(rr, seg, a), Integer.toUnsignedLong(count) << ExRundown.EX_RUNDOWN_COUNT_SHIFT);
    }

    /** Release on a given stripe (see {@link #acquireOnStripe}). */
    public static void releaseOnStripe(MemorySegment rr, int stripe, int count) {
        if (count == 0) {
            return;
        }
        long a = stripeAddress(rr, stripe);
        MemorySegment seg = stripeSegment(rr, a);
        ExRundown.release(seg, stripeOffset(rr, seg, a), Integer.toUnsignedLong(count) << ExRundown.EX_RUNDOWN_COUNT_SHIFT, false);
    }

    /**
     * {@code ExWaitForRundownProtectionReleaseCacheAware}: refuses new acquires on every stripe and
     * returns once all granted protections are released; at once if already run down.
     * Non-alertable: an interrupt does not end the wait.
     *
     * @throws IllegalStateException if another run-down is in progress, if the stripes sum to a
     *     negative count (more releases than acquires: every stripe is then left run down), or if the
     *     kernel closes while the thread waits ("this offkern kernel is closed ...")
     * @throws dev.offkern.nt.KernelHaltedException if a bug check halts the kernel while the thread waits
     */
    public static void waitForRelease(MemorySegment rr) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, rr.address(), IrqlChecks.WRITE, "ExWaitForRundownProtectionReleaseCacheAware");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExWaitForRundownProtectionReleaseCacheAware", "RunRefCacheAware");
        int number = number(rr);
        long a0 = stripeAddress(rr, 0);
        MemorySegment seg0 = stripeSegment(rr, a0);
        if (ExRundown.getWord(seg0, stripeOffset(rr, seg0, a0)) == ExRundown.EX_RUNDOWN_ACTIVE) { // volatile: latest
            return; // already run down: every stripe shows EX_RUNDOWN_ACTIVE
        }
        ThreadState t = ThreadState.current();
        MemorySegment block = t.block();
        long countOff = WakeBlock.RUNDOWN_WAIT_BLOCK_IN_KTHREAD + EX_RUNDOWN_WAIT_BLOCK.COUNT_OFFSET;
        ExRundown.setWord(block, countOff, 0L); // own block; published by the first sweeping CAS
        long pointer = WakeBlock.address(t) | ExRundown.EX_RUNDOWN_ACTIVE;
        long[] replaced = new long[number]; // what each swept stripe held (for a roll-back)
        long sum = 0;
        for (int i = 0; i < number; i++) {
            long a = stripeAddress(rr, i);
            MemorySegment seg = stripeSegment(rr, a);
            long off = stripeOffset(rr, seg, a);
            long v = ExRundown.getWord(seg, off); // volatile read; re-validated by the CAS
            for (;;) {
                if ((v & ExRundown.EX_RUNDOWN_ACTIVE) != 0) {
                    if (i > 0) {
                        rollBack(rr, i, replaced, pointer, block, countOff);
                    }
                    throw new IllegalStateException("ExWaitForRundownProtectionReleaseCacheAware: stripe " + i
                            + " of the EX_RUNDOWN_REF_CACHE_AWARE at 0x" + Long.toHexString(rr.address())
                            + " is already being run down (word 0x" + Long.toHexString(v) + "): only one thread may wait");
                }
                long w = ExRundown.exchangeWord(seg, off, v, pointer); // full barrier; LP: this stripe refuses acquires
                if (w == v) {
                    break;
                }
                v = w;
            }
            replaced[i] = v;
            sum += v; // mod 2^64: stripes may be "negative"
        }
        long holders = sum >> ExRundown.EX_RUNDOWN_COUNT_SHIFT;
        long now = ExRundown.addWord(block, countOff, holders) + holders; // full barrier: pairs with the releases' CAS
        if (now < 0) {
            markRunDown(rr, number); // no stripe refers to the block any more; later releases meet a run-down word
            throw new IllegalStateException("ExWaitForRundownProtectionReleaseCacheAware: the EX_RUNDOWN_REF_CACHE_AWARE at 0x"
                    + Long.toHexString(rr.address()) + " had " + (-now) + " more release(s) than acquires");
        }
        if (now != 0) {
            WakeBlock.await(t); // a dispatcher wait: ends by throwing if the kernel closes or halts
        }
        markRunDown(rr, number); // no holder remains
    }

    /** Every stripe := EX_RUNDOWN_ACTIVE. */
    private static void markRunDown(MemorySegment rr, int number) {
        for (int i = 0; i < number; i++) {
            long a = stripeAddress(rr, i);
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.setWord(seg, stripeOffset(rr, seg, a), ExRundown.EX_RUNDOWN_ACTIVE); // volatile store
        }
    }

    /**
     * Undoes a sweep that met a stripe already running down: stripes {@code 0 .. swept-1} get back
     * the values they had, and the holders released through the wait block meanwhile (minus its
     * Count) are released on stripe 0, so the sum over the stripes is right again.
     */
    private static void rollBack(MemorySegment rr, int swept, long[] replaced, long pointer, MemorySegment block, long countOff) {
        for (int j = 0; j < swept; j++) {
            long a = stripeAddress(rr, j);
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.exchangeWord(seg, stripeOffset(rr, seg, a), pointer, replaced[j]); // full barrier; fails only if changed by misuse
        }
        long released = -ExRundown.getWord(block, countOff); // volatile: the count is <= 0 during a sweep
        ExRundown.setWord(block, countOff, 0L);
        if (released > 0) {
            long a = stripeAddress(rr, 0);
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.release(seg, stripeOffset(rr, seg, a), released << ExRundown.EX_RUNDOWN_COUNT_SHIFT, false);
        }
    }

    /** {@code ExRundownCompletedCacheAware}: every stripe := EX_RUNDOWN_ACTIVE. */
    public static void completed(MemorySegment rr) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, rr.address(), IrqlChecks.WRITE, "ExRundownCompletedCacheAware");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExRundownCompletedCacheAware", "RunRefCacheAware");
        int number = number(rr);
        for (int i = 0; i < number; i++) {
            long a = stripeAddress(rr, i);
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.complete(seg, stripeOffset(rr, seg, a), "ExRundownCompletedCacheAware");
        }
    }

    /** {@code ExReInitializeRundownProtectionCacheAware}: every stripe := 0. Pre: run down. */
    public static void reInitialize(MemorySegment rr) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, rr.address(), IrqlChecks.WRITE, "ExReInitializeRundownProtectionCacheAware");
        }
        rr = CallerMemory.structure(rr, EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteSize(), EX_RUNDOWN_REF_CACHE_AWARE.LAYOUT.byteAlignment(), "ExReInitializeRundownProtectionCacheAware", "RunRefCacheAware");
        int number = number(rr);
        for (int i = 0; i < number; i++) {
            long a = stripeAddress(rr, i);
            MemorySegment seg = stripeSegment(rr, a);
            ExRundown.reInit(seg, stripeOffset(rr, seg, a), "ExReInitializeRundownProtectionCacheAware");
        }
    }

    /** The holder count summed over the stripes while not running down (diagnostics, tests). */
    public static long holders(MemorySegment rr) {
        int number = number(rr);
        long sum = 0;
        for (int i = 0; i < number; i++) {
            long a = stripeAddress(rr, i);
            MemorySegment seg = stripeSegment(rr, a);
            sum += ExRundown.getWord(seg, stripeOffset(rr, seg, a)); // volatile: latest per stripe
        }
        return sum >> ExRundown.EX_RUNDOWN_COUNT_SHIFT;
    }

    /** The raw word of stripe {@code i} (diagnostics, tests). */
    public static long stripeWord(MemorySegment rr, int i) {
        long a = stripeAddress(rr, i);
        MemorySegment seg = stripeSegment(rr, a);
        return ExRundown.getWord(seg, stripeOffset(rr, seg, a)); // volatile: latest
    }

    /** ULONG Number. */
    public static int number(MemorySegment rr) {
        return rr.get(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.NUMBER_OFFSET);
    }

    /** ULONG RunRefSize. */
    public static int runRefSize(MemorySegment rr) {
        return rr.get(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET);
    }

    /** PEX_RUNDOWN_REF RunRefs. */
    public static long runRefs(MemorySegment rr) {
        return rr.get(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET);
    }

    /** PVOID PoolToFree. */
    public static long poolToFree(MemorySegment rr) {
        return rr.get(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.POOL_TO_FREE_OFFSET);
    }

    // ===== stripe addressing (header fields are written once at initialization: plain reads) =====

    private static long stripeAddress(MemorySegment rr, int index) {
        int number = rr.get(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.NUMBER_OFFSET);
        if (number <= 0) {
            throw new IllegalStateException("EX_RUNDOWN_REF_CACHE_AWARE at 0x" + Long.toHexString(rr.address())
                    + " is not initialized (Number = " + number + ")");
        }
        long stride = Integer.toUnsignedLong(rr.get(ValueLayout.JAVA_INT, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET));
        int stripe = Integer.compareUnsigned(index, number) < 0 ? index : Integer.remainderUnsigned(index, number); // no division in the usual case
        long runRefs = rr.get(ValueLayout.JAVA_LONG, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET);
        long alignment = EX_RUNDOWN_REF.LAYOUT.byteAlignment();
        if (((runRefs | stride) & (alignment - 1)) != 0) {
            // RunRefs and RunRefSize are read from the structure: scribbled or freed memory can make a stripe
            // misaligned, and its interlocked word needs its alignment. Every stripe is checked at once (the
            // first stripe a routine computes), so a refused call has changed no stripe.
            throw new DatatypeMisalignmentException("EX_RUNDOWN_REF stripes of EX_RUNDOWN_REF_CACHE_AWARE 0x"
                    + Long.toHexString(rr.address()) + " (RunRefs 0x" + Long.toHexString(runRefs) + ", RunRefSize " + stride + ")",
                    runRefs + stripe * stride, alignment);
        }
        return runRefs + stripe * stride;
    }

    /** The segment holding the stripe at {@code a}: the caller's segment when it covers it, else the kernel's region. */
    private static MemorySegment stripeSegment(MemorySegment rr, long a) {
        long off = a - rr.address();
        if (off >= 0 && off <= rr.byteSize() - EX_RUNDOWN_REF.LAYOUT.byteSize()) {
            return rr;
        }
        return ThreadState.current().kernel().addressSpace().regionOf(a, EX_RUNDOWN_REF.LAYOUT.byteSize()).segment(); // bug check 0x50 if RunRefs is bad
    }

    private static long stripeOffset(MemorySegment rr, MemorySegment seg, long a) {
        return a - seg.address();
    }
}
