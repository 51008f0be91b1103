package dev.offkern.runtime.rtl;

import static dev.offkern.nt.NtStatus.STATUS_INVALID_PARAMETER;
import static dev.offkern.nt.NtStatus.STATUS_PENDING;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static dev.offkern.nt.NtStatus.STATUS_UNSUCCESSFUL;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_ASYNC;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_CHECK_ONLY;
import static dev.offkern.nt.RunOnceFlags.RTL_RUN_ONCE_INIT_FAILED;

import dev.offkern.layout.ke.OFFKERN_THREAD_BLOCK;
import dev.offkern.layout.rtl.RTL_RUN_ONCE;
import dev.offkern.nt.RunOnceInitFunction;
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
 * One-time initialization on an {@code RTL_RUN_ONCE}: the first caller runs the initialization,
 * concurrent callers block until it completes (or, in asynchronous mode, run their own and the first
 * to complete wins); afterwards every caller gets the stored context at the cost of one read.
 *
 * <pre>{@code
 * typedef union _RTL_RUN_ONCE { PVOID Ptr; ULONG_PTR Value; ULONG_PTR State : 2; } RTL_RUN_ONCE;
 * }</pre>
 *
 * The word, as Windows encodes it (x64):
 * <pre>
 *   63                                                      2  1  0
 *  +-------------------------------------------------------+-----+
 *  | 0                                                     | 0 0 |  uninitialized (RTL_RUN_ONCE_INIT)
 *  | address of the newest waiter's node (16-aligned), or 0 | 0 1 |  synchronous initialization in progress
 *  | context value (its 2 low bits are the state)          | 1 0 |  done
 *  | 0                                                     | 1 1 |  asynchronous initialization in progress
 *  +-------------------------------------------------------+-----+
 * </pre>
 *
 * <p>Which calls may run concurrently on one RTL_RUN_ONCE:
 * <pre>
 *                    BeginInitialize  Complete  ExecuteOnce  Initialize
 *  BeginInitialize        yes           yes         yes          no
 *  Complete               yes           yes(1)      yes          no
 *  ExecuteOnce            yes           yes         yes          no
 * </pre>
 * (1) in ASYNC mode, where the first completer wins and the others get STATUS_UNSUCCESSFUL.
 *
 * <p>IRQL: &le; APC_LEVEL (verifier: DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0xD1, above it). Progress: the completed fast path of BeginInitialize/ExecuteOnce is
 * wait-free (one volatile read, no allocation); a synchronous BeginInitialize that meets an
 * initialization in progress blocks — a dispatcher wait, which {@code Kernel.close()} and a HALT bug
 * check end by throwing (IllegalStateException "this offkern kernel is closed ...",
 * KernelHaltedException) as they end every wait; Complete is lock-free. Memory consistency: everything the
 * initializing thread did before {@code RtlRunOnceComplete} happens-before everything a thread does
 * after a BeginInitialize/ExecuteOnce that returns STATUS_SUCCESS.
 */
public final class RtlRunOnce {

    /* Implementation overview
     *
     * State changes are volatile CASes on the word (Interlocked in Windows). A synchronous waiter
     * links its node in front of the list whose head is the word's upper bits: the node is the
     * RunOnceWaitBlock view of its thread's wake block (ke.WakeBlock: Next + a SynchronizationEvent,
     * standing in for Windows' stack node + keyed event), Next holding the previous head. It CASes
     * (node | 1) into the word and waits on the node's event through the dispatcher. Complete CASes
     * the final value in (context | 2, or 0 after a failure), which detaches the whole list at
     * once, then walks it: for each node it checks the address is a thread's wake block, reads the
     * next link BEFORE signalling (a signalled waiter may reuse its node at once), then sets the
     * node's event. Woken waiters re-read the word: done -> STATUS_SUCCESS, 0 (failed) -> one of
     * them starts over.
     *
     * Linearization: BeginInitialize -> PENDING at its CAS out of state 0; SUCCESS at the read that
     * saw state 2; Complete at its CAS out of state 1 or 3.
     *
     * Beyond Wine/ReactOS (documented derivations): unknown flag bits are STATUS_INVALID_PARAMETER;
     * ExecuteOnce turns a failed completion (context with reserved bits set) or an exception thrown by
     * the init routine into an INIT_FAILED completion before reporting it, so waiters are released
     * to retry instead of blocking forever.
     *
     * The word's offset, size and the State mask come from memory-layouts' RTL_RUN_ONCE (x64).
     */

    /** Offset of RunOnceWaitBlock.Next from the start of a waiter's node (its wake block). */
    private static final long NEXT_IN_NODE = OFFKERN_THREAD_BLOCK.RUN_ONCE_NEXT_OFFSET - OFFKERN_THREAD_BLOCK.WAKE_BLOCK_OFFSET;

    private static final long STATE_SYNC = 1;
    private static final long STATE_DONE = 2;
    private static final long STATE_ASYNC = 3;

    private RtlRunOnce() {
    }

    /** {@code RtlRunOnceInitialize}: Ptr := NULL. */
    public static void initialize(MemorySegment runOnce) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runOnce.address(), IrqlChecks.WRITE, "RtlRunOnceInitialize");
        }
        runOnce = CallerMemory.structure(runOnce, RTL_RUN_ONCE.LAYOUT.byteSize(), RTL_RUN_ONCE.LAYOUT.byteAlignment(), "RtlRunOnceInitialize", "RunOnce");
        long address = runOnce.address();
        if ((address & (RTL_RUN_ONCE.LAYOUT.byteSize() - 1)) != 0 || runOnce.byteSize() < RTL_RUN_ONCE.LAYOUT.byteSize()) {
            throw new IllegalArgumentException("RtlRunOnceInitialize: RTL_RUN_ONCE at 0x" + Long.toHexString(address)
                    + " must be 8-byte aligned and 8 bytes long (segment of " + runOnce.byteSize() + " bytes)");
        }
        PTR.setVolatile(runOnce, RTL_RUN_ONCE.PTR_OFFSET, 0L); // release: publishes the caller's prior writes
    }

    /**
     * {@code RtlRunOnceBeginInitialize}.
     *
     * @return STATUS_SUCCESS (done; {@code *Context} = the stored context), STATUS_PENDING (the caller
     *     now initializes and must call Complete), STATUS_UNSUCCESSFUL (CHECK_ONLY and not done), or
     *     STATUS_INVALID_PARAMETER (CHECK_ONLY|ASYNC, unknown flags, ASYNC against a synchronous
     *     initialization in progress or the reverse)
     */
    public static int beginInitialize(MemorySegment runOnce, int flags, MemorySegment context) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runOnce.address(), IrqlChecks.WRITE, "RtlRunOnceBeginInitialize");
        }
        runOnce = CallerMemory.structure(runOnce, RTL_RUN_ONCE.LAYOUT.byteSize(), RTL_RUN_ONCE.LAYOUT.byteAlignment(), "RtlRunOnceBeginInitialize", "RunOnce");
        context = optionalContext(context, "RtlRunOnceBeginInitialize");
        long v = (long) PTR.getVolatile(runOnce, RTL_RUN_ONCE.PTR_OFFSET); // acquire: pairs with Complete's CAS
        if ((v & RTL_RUN_ONCE.STATE_MASK) == STATE_DONE && (flags & ~RTL_RUN_ONCE_CHECK_ONLY) == 0) {
            storeContext(context, v & ~RTL_RUN_ONCE.STATE_MASK);
            return STATUS_SUCCESS; // LP: the read that saw "done"
        }
        return beginSlow(runOnce, flags, context, v);
    }

    private static int beginSlow(MemorySegment runOnce, int flags, MemorySegment context, long v) {
        if ((flags & ~(RTL_RUN_ONCE_CHECK_ONLY | RTL_RUN_ONCE_ASYNC)) != 0) {
            return STATUS_INVALID_PARAMETER;
        }
        if ((flags & RTL_RUN_ONCE_CHECK_ONLY) != 0) {
            if ((flags & RTL_RUN_ONCE_ASYNC) != 0) {
                return STATUS_INVALID_PARAMETER;
            }
            if ((v & RTL_RUN_ONCE.STATE_MASK) != STATE_DONE) {
                return STATUS_UNSUCCESSFUL;
            }
            storeContext(context, v & ~RTL_RUN_ONCE.STATE_MASK);
            return STATUS_SUCCESS;
        }
        boolean async = (flags & RTL_RUN_ONCE_ASYNC) != 0;
        ThreadState t = null;
        for (;;) {
            switch ((int) (v & RTL_RUN_ONCE.STATE_MASK)) {
                case 0 -> {
                    long w = (long) PTR.compareAndExchange(runOnce, RTL_RUN_ONCE.PTR_OFFSET, 0L, async ? STATE_ASYNC : STATE_SYNC); // full barrier; LP
                    if (w == 0) {
                        return STATUS_PENDING;
                    }
                    v = w;
                }
                case (int) STATE_SYNC -> {
                    if (async) {
                        return STATUS_INVALID_PARAMETER;
                    }
                    if (t == null) {
                        t = ThreadState.current();
                    }
                    // Next := current head, in the thread's own node; published by the CAS below
                    t.block().set(ValueLayout.JAVA_LONG, OFFKERN_THREAD_BLOCK.OFFSET_IN_THREAD + OFFKERN_THREAD_BLOCK.RUN_ONCE_NEXT_OFFSET, v & ~RTL_RUN_ONCE.STATE_MASK);
                    long w = (long) PTR.compareAndExchange(runOnce, RTL_RUN_ONCE.PTR_OFFSET, v, WakeBlock.address(t) | STATE_SYNC); // full barrier: publishes the node
                    if (w == v) {
                        WakeBlock.await(t); // until Complete detaches the list and signals us; throws if the kernel closes or halts
                        v = (long) PTR.getVolatile(runOnce, RTL_RUN_ONCE.PTR_OFFSET); // acquire: re-evaluate after the wake
                    } else {
                        v = w;
                    }
                }
                case (int) STATE_DONE -> {
                    storeContext(context, v & ~RTL_RUN_ONCE.STATE_MASK);
                    return STATUS_SUCCESS;
                }
                default -> { // STATE_ASYNC
                    return async ? STATUS_PENDING : STATUS_INVALID_PARAMETER;
                }
            }
        }
    }

    /**
     * {@code RtlRunOnceComplete}: ends the initialization the caller began.
     *
     * @param context the context to store (PVOID; its 2 low bits must be clear), or NULL
     * @return STATUS_SUCCESS; STATUS_UNSUCCESSFUL if no initialization is in progress (with ASYNC:
     *     another initializer completed first; discard your work); STATUS_INVALID_PARAMETER for a
     *     context with reserved bits set, INIT_FAILED with a context or with ASYNC, unknown flags, or
     *     a synchronous completion of an asynchronous initialization
     */
    public static int complete(MemorySegment runOnce, int flags, MemorySegment context) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runOnce.address(), IrqlChecks.WRITE, "RtlRunOnceComplete");
        }
        runOnce = CallerMemory.structure(runOnce, RTL_RUN_ONCE.LAYOUT.byteSize(), RTL_RUN_ONCE.LAYOUT.byteAlignment(), "RtlRunOnceComplete", "RunOnce");
        return complete(runOnce, flags, context.address());
    }

    private static int complete(MemorySegment runOnce, int flags, long ctx) {
        if ((flags & ~(RTL_RUN_ONCE_ASYNC | RTL_RUN_ONCE_INIT_FAILED)) != 0 || (ctx & RTL_RUN_ONCE.STATE_MASK) != 0) {
            return STATUS_INVALID_PARAMETER;
        }
        long finalValue;
        if ((flags & RTL_RUN_ONCE_INIT_FAILED) != 0) {
            if (ctx != 0 || (flags & RTL_RUN_ONCE_ASYNC) != 0) {
                return STATUS_INVALID_PARAMETER;
            }
            finalValue = 0; // back to uninitialized: the next caller retries
        } else {
            finalValue = ctx | STATE_DONE;
        }
        long v = (long) PTR.getVolatile(runOnce, RTL_RUN_ONCE.PTR_OFFSET); // volatile read; re-validated by the CAS
        for (;;) {
            long state = v & RTL_RUN_ONCE.STATE_MASK;
            if (state == STATE_SYNC) {
                long w = (long) PTR.compareAndExchange(runOnce, RTL_RUN_ONCE.PTR_OFFSET, v, finalValue); // full barrier (release of the init's writes); LP
                if (w == v) {
                    wakeAll(v & ~RTL_RUN_ONCE.STATE_MASK);
                    return STATUS_SUCCESS;
                }
                v = w;
            } else if (state == STATE_ASYNC) {
                if ((flags & RTL_RUN_ONCE_ASYNC) == 0) {
                    return STATUS_INVALID_PARAMETER;
                }
                long w = (long) PTR.compareAndExchange(runOnce, RTL_RUN_ONCE.PTR_OFFSET, v, finalValue); // full barrier; LP: first completer wins
                if (w == v) {
                    return STATUS_SUCCESS;
                }
                v = w;
            } else {
                return STATUS_UNSUCCESSFUL;
            }
        }
    }

    /** Signals every node of a detached waiter list, reading each link before signalling its node. */
    private static void wakeAll(long head) {
        if (head == 0) {
            return;
        }
        ThreadState t = ThreadState.current();
        long node = head;
        while (node != 0) {
            // 0x50 on an unmapped link, IllegalStateException on one that is not a wake block: before it is signalled
            Region r = WakeBlock.resolve(t, node, "the RTL_RUN_ONCE's waiter list");
            // plain read: written before the node was published by the waiter's CAS, which our CAS read
            long next = r.segment().get(ValueLayout.JAVA_LONG, r.offsetOf(node) + NEXT_IN_NODE);
            WakeBlock.signal(t, r, node);
            node = next;
        }
    }

    /**
     * {@code RtlRunOnceExecuteOnce}: runs {@code initFn} once. Returns STATUS_SUCCESS with
     * {@code *Context} filled once the initialization is done (by this call or an earlier one);
     * STATUS_UNSUCCESSFUL if {@code initFn} reported failure (a later call retries);
     * STATUS_INVALID_PARAMETER if {@code initFn} stored a context with reserved bits set (the
     * initialization is then marked failed, so waiters retry). An exception thrown by {@code initFn}
     * marks the initialization failed and propagates.
     */
    public static int executeOnce(MemorySegment runOnce, RunOnceInitFunction initFn, MemorySegment parameter,
            MemorySegment context) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.APC_LEVEL, runOnce.address(), IrqlChecks.WRITE, "RtlRunOnceExecuteOnce");
        }
        runOnce = CallerMemory.structure(runOnce, RTL_RUN_ONCE.LAYOUT.byteSize(), RTL_RUN_ONCE.LAYOUT.byteAlignment(), "RtlRunOnceExecuteOnce", "RunOnce");
        context = optionalContext(context, "RtlRunOnceExecuteOnce");
        int status = beginInitialize(runOnce, 0, context);
        if (status != STATUS_PENDING) {
            return status;
        }
        boolean ok;
        try {
            ok = initFn.init(runOnce, parameter, context);
        } catch (Throwable t) {
            complete(runOnce, RTL_RUN_ONCE_INIT_FAILED, 0L);
            throw t;
        }
        if (!ok) {
            complete(runOnce, RTL_RUN_ONCE_INIT_FAILED, 0L);
            return STATUS_UNSUCCESSFUL;
        }
        long ctx = context.address() == 0 ? 0 : context.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        status = complete(runOnce, 0, ctx);
        if (status != STATUS_SUCCESS) {
            complete(runOnce, RTL_RUN_ONCE_INIT_FAILED, 0L); // e.g. reserved bits set: release the waiters
        }
        return status;
    }

    /** The raw word (diagnostics, tests). */
    public static long word(MemorySegment runOnce) {
        return (long) PTR.getVolatile(runOnce, RTL_RUN_ONCE.PTR_OFFSET); // volatile: a consistent snapshot
    }

    /** The optional {@code PVOID *Context}: NULL stays NULL; else 8 bytes the routine may write, checked first. */
    private static MemorySegment optionalContext(MemorySegment context, String routine) {
        if (context == null || context.address() == 0) {
            return MemorySegment.NULL;
        }
        return CallerMemory.structure(context, ValueLayout.ADDRESS.byteSize(), 1, routine, "Context");
    }

    private static void storeContext(MemorySegment context, long value) {
        if (context.address() != 0) {
            context.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
        }
    }

    // ===== VarHandle mechanics =====

    /** RTL_RUN_ONCE.Ptr as a 64-bit word, (MemorySegment, long offset) coordinates; volatile mode. */
    private static final VarHandle PTR = ValueLayout.JAVA_LONG.varHandle();
}
