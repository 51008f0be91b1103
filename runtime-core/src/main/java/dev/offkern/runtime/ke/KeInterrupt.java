package dev.offkern.runtime.ke;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ke.KINTERRUPT;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KMESSAGE_SERVICE_ROUTINE;
import dev.offkern.nt.KSERVICE_ROUTINE;
import dev.offkern.nt.KSYNCHRONIZE_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * Interrupt objects on the byte-exact {@code KINTERRUPT}: their initialisation (for
 * IoConnectInterruptEx), {@code KeAcquireInterruptSpinLock}, {@code KeReleaseInterruptSpinLock},
 * {@code KeSynchronizeExecution}, and the service of one interrupt (for the
 * {@link InterruptController}).
 *
 * <h2>Fields</h2>
 * Type InterruptObject (22), Size 0x120; ServiceRoutine / MessageServiceRoutine real function
 * pointers (a Java routine's upcall stub, or a function of a registered native library);
 * MessageIndex, ServiceContext; SpinLock (the built-in lock) and ActualLock (&amp;SpinLock, or the
 * lock the driver passed); Vector, Irql, SynchronizeIrql, FloatingSave (FALSE), Connected, Number
 * (0), ShareVector, Mode, Polarity; DispatchCount (interrupts delivered to this object) and
 * ServiceCount (times its routine returned TRUE), incremented atomically; InterruptListEntry an
 * empty list (offkern's controller keeps the chain of a shared vector, see
 * {@link InterruptController}); IsrDpcStats and the other fields zero.
 *
 * <h2>Service</h2>
 * A service raises the delivering thread to the object's SynchronizeIrql, acquires ActualLock (a
 * KSPIN_LOCK, with the verifier's ownership tracking), calls the routine, releases the lock. The
 * routine must return at SynchronizeIrql (verifier, family IRQL: IRQL_UNEXPECTED_VALUE 0xC8); an
 * exception escaping it is KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_UNHANDLED_EXCEPTION, the
 * routine, the KINTERRUPT, 0). The caller lowers the IRQL after the chain (pending DPCs, such as one
 * IoRequestDpc queued, run then).
 *
 * <p>Progress: acquiring the interrupt lock spins (blocking); everything else is wait-free.
 */
public final class KeInterrupt {
    /** KOBJECTS InterruptObject. */
    public static final int InterruptObject = 22;
    /** sizeof(KINTERRUPT) on x64. */
    public static final long KINTERRUPT_SIZE = KINTERRUPT.X64.size();

    private KeInterrupt() {
    }

    /**
     * Fills the KINTERRUPT at {@code k} (zeroed first): a line-based ({@code message} false:
     * {@code routine} is the ServiceRoutine) or message-based object ({@code routine} the
     * MessageServiceRoutine, {@code messageIndex} its index). {@code lock} 0 selects the built-in lock.
     */
    public static void initialize(MemorySegment k, long routine, boolean message, int messageIndex, long context, long lock,
                                  int vector, int irql, int synchronizeIrql, boolean shareVector, int mode, int polarity,
                                  long physicalDeviceObject) {
        k.asSlice(0, KINTERRUPT_SIZE).fill((byte) 0);
        k.set(JAVA_SHORT, KINTERRUPT.TYPE_OFFSET, (short) InterruptObject);
        k.set(JAVA_SHORT, KINTERRUPT.SIZE_OFFSET, (short) KINTERRUPT_SIZE);
        ListEntries.initializeHead(k, KINTERRUPT.INTERRUPT_LIST_ENTRY_OFFSET);
        k.set(JAVA_LONG, message ? KINTERRUPT.MESSAGE_SERVICE_ROUTINE_OFFSET : KINTERRUPT.SERVICE_ROUTINE_OFFSET, routine);
        k.set(JAVA_INT, KINTERRUPT.MESSAGE_INDEX_OFFSET, messageIndex);
        k.set(JAVA_LONG, KINTERRUPT.SERVICE_CONTEXT_OFFSET, context);
        k.set(JAVA_LONG, KINTERRUPT.ACTUAL_LOCK_OFFSET, lock != 0 ? lock : k.address() + KINTERRUPT.SPIN_LOCK_OFFSET);
        k.set(JAVA_INT, KINTERRUPT.VECTOR_OFFSET, vector);
        k.set(JAVA_BYTE, KINTERRUPT.IRQL_OFFSET, (byte) irql);
        k.set(JAVA_BYTE, KINTERRUPT.SYNCHRONIZE_IRQL_OFFSET, (byte) synchronizeIrql);
        k.set(JAVA_BYTE, KINTERRUPT.SHARE_VECTOR_OFFSET, (byte) (shareVector ? 1 : 0));
        k.set(JAVA_INT, KINTERRUPT.MODE_OFFSET, mode);
        k.set(JAVA_INT, KINTERRUPT.POLARITY_OFFSET, polarity);
        k.set(JAVA_LONG, KINTERRUPT.PHYSICAL_DEVICE_OBJECT_OFFSET, physicalDeviceObject);
    }

    /** Sets KINTERRUPT.Connected (a volatile BOOLEAN store: the controller's chain is published separately). */
    static void setConnected(MemorySegment k, boolean connected) {
        BYTE.setVolatile(k, KINTERRUPT.CONNECTED_OFFSET, (byte) (connected ? 1 : 0));
    }

    /** The stub of a Java line ISR in {@code core}'s routine table. */
    public static long stubOf(KernelCore core, KSERVICE_ROUTINE routine) {
        return core.routines().stubFor(routine, ISR_UPCALL.bindTo(routine).bindTo(core), ISR_DESCRIPTOR);
    }

    /** The stub of a Java message ISR in {@code core}'s routine table. */
    public static long stubOf(KernelCore core, KMESSAGE_SERVICE_ROUTINE routine) {
        return core.routines().stubFor(routine, MSG_UPCALL.bindTo(routine).bindTo(core), MSG_DESCRIPTOR);
    }

    /** Whether {@code routine} is a routine the kernel may call (a registered Java routine's stub or native code). */
    public static boolean isRoutine(KernelCore core, long routine) {
        return core.routines().routineAt(routine) != null || core.routines().isNativeCode(routine);
    }

    // ===== the interrupt spin lock =====

    /** The KINTERRUPT at {@code interrupt}, checked (an initialized interrupt object in registered memory). */
    static MemorySegment object(KernelCore core, MemorySegment interrupt, String routine) {
        if (interrupt == null || interrupt.address() == 0 || (interrupt.address() & 7) != 0) {
            throw new IllegalArgumentException(routine + ": Interrupt must be an 8-byte aligned KINTERRUPT, not " + interrupt);
        }
        MemorySegment k = core.addressSpace().resolve(interrupt.address(), KINTERRUPT_SIZE);
        if (k.get(JAVA_SHORT, KINTERRUPT.TYPE_OFFSET) != InterruptObject) {
            throw new IllegalArgumentException(routine + ": 0x" + Long.toHexString(interrupt.address())
                    + " is not a KINTERRUPT (Type " + k.get(JAVA_SHORT, KINTERRUPT.TYPE_OFFSET) + ")");
        }
        return k;
    }

    private static MemorySegment lock(KernelCore core, MemorySegment k) {
        return core.addressSpace().resolve(k.get(JAVA_LONG, KINTERRUPT.ACTUAL_LOCK_OFFSET), 8);
    }

    /**
     * {@code KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt)}: raises to the interrupt's
     * SynchronizeIrql, acquires its lock, returns the previous IRQL. IRQL: ≤ SynchronizeIrql
     * (verifier: IRQL_NOT_GREATER_OR_EQUAL from the raise). Blocking (spins).
     */
    public static int acquireInterruptSpinLock(MemorySegment interrupt) {
        ThreadState t = ThreadState.current();
        MemorySegment k = object(t.kernel(), interrupt, "KeAcquireInterruptSpinLock");
        int old = Irql.raise(k.get(JAVA_BYTE, KINTERRUPT.SYNCHRONIZE_IRQL_OFFSET) & 0xFF);
        try {
            KeSpinLock.acquireAtDpcLevel(lock(t.kernel(), k));
        } catch (RuntimeException e) {
            Irql.lowerUnchecked(t, old);
            throw e;
        }
        return old;
    }

    /** {@code VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql)}: releases the lock, lowers to OldIrql. */
    public static void releaseInterruptSpinLock(MemorySegment interrupt, int oldIrql) {
        ThreadState t = ThreadState.current();
        MemorySegment k = object(t.kernel(), interrupt, "KeReleaseInterruptSpinLock");
        KeSpinLock.releaseFromDpcLevel(lock(t.kernel(), k));
        Irql.lower(t, oldIrql);
    }

    /**
     * {@code BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE
     * SynchronizeRoutine, PVOID SynchronizeContext)}: runs the routine at SynchronizeIrql holding
     * the interrupt's lock (never concurrently with its ISR) and returns its result. IRQL: ≤
     * SynchronizeIrql.
     */
    public static boolean synchronizeExecution(MemorySegment interrupt, KSYNCHRONIZE_ROUTINE routine, MemorySegment context) {
        if (routine == null) {
            throw new IllegalArgumentException("KeSynchronizeExecution: SynchronizeRoutine is NULL");
        }
        int old = acquireInterruptSpinLock(interrupt);
        try {
            return routine.call(context == null ? MemorySegment.NULL : context);
        } finally {
            releaseInterruptSpinLock(interrupt, old);
        }
    }

    // ===== service =====

    /**
     * Calls the routine of the KINTERRUPT at {@code address} for one interrupt on the calling thread
     * {@code t}: SynchronizeIrql, the lock held. Returns what the routine returned. The caller restores
     * the IRQL.
     */
    static boolean service(ThreadState t, KernelCore core, long address) {
        Region r = core.addressSpace().regionOf(address, KINTERRUPT_SIZE);
        MemorySegment s = r.segment();
        long off = r.offsetOf(address);
        MemorySegment k = s.asSlice(off, KINTERRUPT_SIZE);
        int synch = k.get(JAVA_BYTE, KINTERRUPT.SYNCHRONIZE_IRQL_OFFSET) & 0xFF;
        INT.getAndAdd(k, KINTERRUPT.DISPATCH_COUNT_OFFSET, 1); // atomic: interrupts may be delivered on several threads at once
        t.irql = synch; // each object of a shared vector runs at its own SynchronizeIrql (all ≥ the vector's IRQL > the deliverer's)
        MemorySegment lock = lock(core, k);
        long isr = k.get(JAVA_LONG, KINTERRUPT.SERVICE_ROUTINE_OFFSET);
        long msgIsr = k.get(JAVA_LONG, KINTERRUPT.MESSAGE_SERVICE_ROUTINE_OFFSET);
        boolean message = isr == 0 && msgIsr != 0;
        long routine = message ? msgIsr : isr;
        boolean claimed;
        KeSpinLock.acquireAtDpcLevel(lock);
        int owner = t.enterRoutine(routine); // the ISR's driver owns what it arms (a DPC request)
        try {
            claimed = call(core, k, routine, message);
        } catch (BugCheck | KernelHaltedException processed) {
            throw processed;
        } catch (Throwable e) {
            t.irql = synch;
            throw core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, routine,
                    address, 0, "exception escaped interrupt service routine 0x" + Long.toHexString(routine) + " of KINTERRUPT 0x"
                            + Long.toHexString(address) + ": " + e);
        } finally {
            t.enterDriver(owner);
            KeSpinLock.releaseFromDpcLevel(lock);
        }
        if (t.verifies(VerifierCheck.IRQL) && t.irql != synch) {
            int found = t.irql;
            t.irql = synch;
            throw core.bugCheck(BugCheckCode.IRQL_UNEXPECTED_VALUE, ((long) found << 16) | ((long) synch << 8), routine, address, 0,
                    "interrupt service routine 0x" + Long.toHexString(routine) + " returned at " + Irql.name(found) + ", not "
                            + Irql.name(synch));
        }
        if (claimed) {
            INT.getAndAdd(k, KINTERRUPT.SERVICE_COUNT_OFFSET, 1); // atomic, as DispatchCount
        }
        return claimed;
    }

    private static boolean call(KernelCore core, MemorySegment k, long routine, boolean message) throws Throwable {
        RoutineTable table = core.routines();
        Object j = table.routineAt(routine);
        MemorySegment context = MemorySegment.ofAddress(k.get(JAVA_LONG, KINTERRUPT.SERVICE_CONTEXT_OFFSET));
        int index = k.get(JAVA_INT, KINTERRUPT.MESSAGE_INDEX_OFFSET);
        if (!message && j instanceof KSERVICE_ROUTINE isr) {
            return isr.call(k, context);
        }
        if (message && j instanceof KMESSAGE_SERVICE_ROUTINE isr) {
            return isr.call(k, context, index);
        }
        if (j == null && table.isNativeCode(routine)) {
            return message ? (boolean) NATIVE_MSG.invokeExact(MemorySegment.ofAddress(routine), k.address(), context.address(), index)
                    : (boolean) NATIVE_ISR.invokeExact(MemorySegment.ofAddress(routine), k.address(), context.address());
        }
        if (j != null) {
            throw new IllegalStateException("routine 0x" + Long.toHexString(routine) + " of KINTERRUPT 0x" + Long.toHexString(k.address())
                    + " is a " + j.getClass().getSimpleName() + "'s stub, not a " + (message ? "KMESSAGE_SERVICE_ROUTINE" : "KSERVICE_ROUTINE"));
        }
        throw KeDpc.badRoutine(core, routine, k.address(), "service routine of KINTERRUPT 0x" + Long.toHexString(k.address()));
    }

    // ===== upcalls: what native code calling the routine fields reaches =====

    private static boolean isrUpcall(KSERVICE_ROUTINE routine, KernelCore core, MemorySegment interrupt, MemorySegment context) {
        try {
            return routine.call(bounded(core, interrupt), context);
        } catch (Throwable e) {
            unhandled(core, interrupt, e);
            return false;
        }
    }

    private static boolean msgUpcall(KMESSAGE_SERVICE_ROUTINE routine, KernelCore core, MemorySegment interrupt, MemorySegment context,
                                     int messageId) {
        try {
            return routine.call(bounded(core, interrupt), context, messageId);
        } catch (Throwable e) {
            unhandled(core, interrupt, e);
            return false;
        }
    }

    private static MemorySegment bounded(KernelCore core, MemorySegment interrupt) {
        return core.addressSpace().isValid(interrupt.address(), KINTERRUPT_SIZE)
                ? core.addressSpace().resolve(interrupt.address(), KINTERRUPT_SIZE) : interrupt;
    }

    private static void unhandled(KernelCore core, MemorySegment interrupt, Throwable e) {
        try {
            throw core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0,
                    interrupt.address(), 0, "exception escaped an interrupt service routine called from native code: " + e);
        } catch (Throwable processed) {
            // nothing may propagate into native code
        }
    }

    private static final FunctionDescriptor ISR_DESCRIPTOR = FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, ADDRESS);
    private static final FunctionDescriptor MSG_DESCRIPTOR = FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, ADDRESS, JAVA_INT);
    private static final MethodHandle ISR_UPCALL;
    private static final MethodHandle MSG_UPCALL;
    /** {@code BOOLEAN (*)(PKINTERRUPT, PVOID)} with the pointers as 64-bit integers. */
    private static final MethodHandle NATIVE_ISR = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(JAVA_BOOLEAN, JAVA_LONG, JAVA_LONG));
    /** {@code BOOLEAN (*)(PKINTERRUPT, PVOID, ULONG)}. */
    private static final MethodHandle NATIVE_MSG = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(JAVA_BOOLEAN, JAVA_LONG, JAVA_LONG, JAVA_INT));

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ISR_UPCALL = l.findStatic(KeInterrupt.class, "isrUpcall", MethodType.methodType(boolean.class, KSERVICE_ROUTINE.class,
                    KernelCore.class, MemorySegment.class, MemorySegment.class));
            MSG_UPCALL = l.findStatic(KeInterrupt.class, "msgUpcall", MethodType.methodType(boolean.class,
                    KMESSAGE_SERVICE_ROUTINE.class, KernelCore.class, MemorySegment.class, MemorySegment.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ----- VarHandle mechanics -----
    /** KINTERRUPT.DispatchCount and ServiceCount: atomic increments (volatile getAndAdd). */
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** KINTERRUPT.Connected. */
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
}
