package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.DRIVER_CANCEL;
import dev.offkern.nt.DRIVER_DISPATCH;
import dev.offkern.nt.DRIVER_INITIALIZE;
import dev.offkern.nt.DRIVER_UNLOAD;
import dev.offkern.nt.IO_COMPLETION_ROUTINE;
import dev.offkern.nt.IO_CSQ_ACQUIRE_LOCK;
import dev.offkern.nt.IO_CSQ_COMPLETE_CANCELED_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP;
import dev.offkern.nt.IO_CSQ_INSERT_IRP_EX;
import dev.offkern.nt.IO_CSQ_PEEK_NEXT_IRP;
import dev.offkern.nt.IO_CSQ_RELEASE_LOCK;
import dev.offkern.nt.IO_CSQ_REMOVE_IRP;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ke.RoutineTable;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The I/O manager's routine pointers: every routine-pointer field it reads (DRIVER_OBJECT's
 * MajorFunction[], DriverInit and DriverUnload, IRP.CancelRoutine, IO_STACK_LOCATION.CompletionRoutine,
 * the six IO_CSQ callbacks) holds a real function pointer from the kernel's {@link RoutineTable}: the
 * upcall stub of a Java routine (made here, once per routine object for the kernel's lifetime), or a
 * function of a registered native library.
 *
 * <p>Calls: a stub maps back to its Java routine, which is called directly (never through the stub);
 * a native function is called through a downcall with the pointers as 64-bit integers; anything else
 * is never jumped to: ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY (0xFC) when it points into kernel data,
 * else PAGE_FAULT_IN_NONPAGED_AREA (0x50, execute) ({@link KeDpc#badRoutine}). A stub of another
 * routine type is refused with IllegalStateException. An exception escaping a Java routine is
 * KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_UNHANDLED_EXCEPTION, the routine, the object, 0); a bug
 * check passes through unchanged. Native code calling a stub reaches the same Java routine with
 * bounded segments where the address is mapped; an exception there is the same bug check, raised
 * and then swallowed (nothing may unwind into native code).
 *
 * <p>Stateless apart from the method handles; thread-safe. Progress: the lookups are wait-free
 * ({@link RoutineTable#routineAt}); a first stub for a routine takes the table's monitor.
 */
final class IoRoutines {
    private IoRoutines() {
    }

    // ===== stubs of Java routines =====

    static long stub(IoManager io, DRIVER_DISPATCH r) {
        return cached(io, r, UP_DISPATCH, FD_PP_I);
    }

    static long stub(IoManager io, DRIVER_CANCEL r) {
        return cached(io, r, UP_CANCEL, FD_PP_V);
    }

    static long stub(IoManager io, DRIVER_INITIALIZE r) {
        return cached(io, r, UP_INIT, FD_PP_I);
    }

    static long stub(IoManager io, DRIVER_UNLOAD r) {
        return cached(io, r, UP_UNLOAD, FD_P_V);
    }

    static long stub(IoManager io, IO_COMPLETION_ROUTINE r) {
        return cached(io, r, UP_COMPLETION, FD_PPP_I);
    }

    static long stub(IoManager io, IO_CSQ_INSERT_IRP r) {
        return cached(io, r, UP_CSQ_INSERT, FD_PP_V);
    }

    static long stub(IoManager io, IO_CSQ_INSERT_IRP_EX r) {
        return cached(io, r, UP_CSQ_INSERT_EX, FD_PPP_I);
    }

    static long stub(IoManager io, IO_CSQ_REMOVE_IRP r) {
        return cached(io, r, UP_CSQ_REMOVE, FD_PP_V);
    }

    static long stub(IoManager io, IO_CSQ_PEEK_NEXT_IRP r) {
        return cached(io, r, UP_CSQ_PEEK, FD_PPP_P);
    }

    static long stub(IoManager io, IO_CSQ_ACQUIRE_LOCK r) {
        return cached(io, r, UP_CSQ_ACQUIRE, FD_PP_V);
    }

    static long stub(IoManager io, IO_CSQ_RELEASE_LOCK r) {
        return cached(io, r, UP_CSQ_RELEASE, FD_PB_V);
    }

    static long stub(IoManager io, IO_CSQ_COMPLETE_CANCELED_IRP r) {
        return cached(io, r, UP_CSQ_COMPLETE, FD_PP_V);
    }

    private static MethodHandle bind(MethodHandle upcall, Object routine, KernelCore k) {
        return MethodHandles.insertArguments(upcall, 0, routine, k);
    }

    /** A routine object and its stub. */
    private record Stub(Object routine, long address) {
    }

    /**
     * Stubs already made, by routine object, so that arming a routine per request (a completion or
     * cancel routine) costs a lock-free lookup instead of the table's monitor and a method-handle bind.
     * The entry is used only for the identical object (equal-but-distinct routines go to the table).
     */
    private static long cached(IoManager io, Object routine, MethodHandle upcall, FunctionDescriptor fd) {
        Object hit = io.stubs.get(routine); // lock-free read
        if (hit instanceof Stub s && s.routine() == routine) {
            return s.address();
        }
        long address = io.core.routines().stubFor(routine, bind(upcall, routine, io.core), fd);
        io.stubs.putIfAbsent(routine, new Stub(routine, address));
        return address;
    }

    // ===== calls through a routine pointer =====

    /** DRIVER_DISPATCH / DRIVER_INITIALIZE (both {@code NTSTATUS (PVOID, PVOID)}). */
    static int callDispatch(IoManager io, long routine, long a, long b, String what) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof DRIVER_DISPATCH d) {
                    return d.call(io.seg(a, IoManager.DEVICE_OBJECT_SIZE), io.irpSegmentOrNull(b));
                }
                if (r instanceof DRIVER_INITIALIZE d) {
                    return d.call(io.seg(a, IoManager.DRIVER_OBJECT_SIZE), MemorySegment.ofAddress(b));
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    return (int) NATIVE_PP_I.invokeExact(MemorySegment.ofAddress(routine), a, b);
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, b, what, e);
            }
            throw notA(io.core, routine, r, a, what, "DRIVER_DISPATCH");
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** DRIVER_CANCEL, IO_CSQ_INSERT_IRP, IO_CSQ_REMOVE_IRP, IO_CSQ_COMPLETE_CANCELED_IRP (all {@code VOID (PVOID, PIRP)}). */
    static void callVoid(IoManager io, long routine, long a, long irp, Class<?> kind, String what) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (kind.isInstance(r)) {
                    MemorySegment irpSeg = io.irpSegmentOrNull(irp);
                    switch (r) {
                        case DRIVER_CANCEL c -> c.call(io.seg(a, IoManager.DEVICE_OBJECT_SIZE), irpSeg);
                        case IO_CSQ_INSERT_IRP c -> c.call(io.seg(a, IoManager.IO_CSQ_SIZE), irpSeg);
                        case IO_CSQ_REMOVE_IRP c -> c.call(io.seg(a, IoManager.IO_CSQ_SIZE), irpSeg);
                        case IO_CSQ_COMPLETE_CANCELED_IRP c -> c.call(io.seg(a, IoManager.IO_CSQ_SIZE), irpSeg);
                        default -> throw new IllegalStateException("no call for " + kind);
                    }
                    return;
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    NATIVE_PP_V.invokeExact(MemorySegment.ofAddress(routine), a, irp);
                    return;
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, irp, what, e);
            }
            throw notA(io.core, routine, r, irp, what, kind.getSimpleName());
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** DRIVER_UNLOAD: {@code VOID (PDRIVER_OBJECT)}. */
    static void callUnload(IoManager io, long routine, long driver) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof DRIVER_UNLOAD u) {
                    u.call(io.seg(driver, IoManager.DRIVER_OBJECT_SIZE));
                    return;
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    NATIVE_P_V.invokeExact(MemorySegment.ofAddress(routine), driver);
                    return;
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, driver, "DriverUnload", e);
            }
            throw notA(io.core, routine, r, driver, "DriverUnload of DRIVER_OBJECT 0x" + Long.toHexString(driver), "DRIVER_UNLOAD");
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** IO_COMPLETION_ROUTINE / IO_CSQ_INSERT_IRP_EX (both {@code NTSTATUS (PVOID, PIRP, PVOID)}). */
    static int callPPP(IoManager io, long routine, long a, long irp, long c, Class<?> kind, String what) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof IO_COMPLETION_ROUTINE cr && kind == IO_COMPLETION_ROUTINE.class) {
                    return cr.call(io.seg(a, IoManager.DEVICE_OBJECT_SIZE), io.irpSegmentOrNull(irp), MemorySegment.ofAddress(c));
                }
                if (r instanceof IO_CSQ_INSERT_IRP_EX ie && kind == IO_CSQ_INSERT_IRP_EX.class) {
                    return ie.call(io.seg(a, IoManager.IO_CSQ_SIZE), io.irpSegmentOrNull(irp), MemorySegment.ofAddress(c));
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    return (int) NATIVE_PPP_I.invokeExact(MemorySegment.ofAddress(routine), a, irp, c);
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, irp, what, e);
            }
            throw notA(io.core, routine, r, irp, what, kind.getSimpleName());
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** IO_CSQ_PEEK_NEXT_IRP: the next IRP's address, or 0. */
    static long callPeek(IoManager io, long routine, long csq, long irp, long context) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof IO_CSQ_PEEK_NEXT_IRP p) {
                    MemorySegment next = p.call(io.seg(csq, IoManager.IO_CSQ_SIZE), io.irpSegmentOrNull(irp), MemorySegment.ofAddress(context));
                    return next == null ? 0 : next.address();
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    return (long) NATIVE_PPP_P.invokeExact(MemorySegment.ofAddress(routine), csq, irp, context);
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, csq, "CsqPeekNextIrp", e);
            }
            throw notA(io.core, routine, r, csq, "CsqPeekNextIrp of IO_CSQ 0x" + Long.toHexString(csq), "IO_CSQ_PEEK_NEXT_IRP");
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** IO_CSQ_ACQUIRE_LOCK: returns the KIRQL the routine stored. */
    static int callAcquire(IoManager io, long routine, long csq) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof IO_CSQ_ACQUIRE_LOCK || (r == null && io.core.routines().isNativeCode(routine))) {
                    // The PKIRQL: one of the thread's native slots (one per nesting level), not a new buffer per call.
                    IoManager.ThreadCache tc = io.threadCache();
                    int depth = tc.irqlDepth;
                    MemorySegment irql = depth < IoManager.ThreadCache.IRQL_SLOTS ? tc.irql[depth] : Arena.ofAuto().allocate(8, 8);
                    irql.set(JAVA_BYTE, 0, (byte) 0);
                    tc.irqlDepth = depth + 1;
                    try {
                        if (r instanceof IO_CSQ_ACQUIRE_LOCK a) {
                            a.call(io.seg(csq, IoManager.IO_CSQ_SIZE), irql);
                        } else {
                            NATIVE_PP_V.invokeExact(MemorySegment.ofAddress(routine), csq, irql.address());
                        }
                    } finally {
                        tc.irqlDepth = depth;
                    }
                    return irql.get(JAVA_BYTE, 0) & 0xFF;
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, csq, "CsqAcquireLock", e);
            }
            throw notA(io.core, routine, r, csq, "CsqAcquireLock of IO_CSQ 0x" + Long.toHexString(csq), "IO_CSQ_ACQUIRE_LOCK");
        } finally {
            ts.enterDriver(owner);
        }
    }

    /** IO_CSQ_RELEASE_LOCK. */
    static void callRelease(IoManager io, long routine, long csq, int irql) {
        Object r = io.core.routines().routineAt(routine);
        ThreadState ts = ThreadState.current();
        int owner = ts.enterRoutine(routine); // the routine's driver owns what it allocates and arms
        try {
            try {
                if (r instanceof IO_CSQ_RELEASE_LOCK rl) {
                    rl.call(io.seg(csq, IoManager.IO_CSQ_SIZE), irql);
                    return;
                }
                if (r == null && io.core.routines().isNativeCode(routine)) {
                    NATIVE_PB_V.invokeExact(MemorySegment.ofAddress(routine), csq, (byte) irql);
                    return;
                }
            } catch (BugCheck | KernelHaltedException processed) {
                throw processed;
            } catch (Throwable e) {
                throw escaped(io.core, routine, csq, "CsqReleaseLock", e);
            }
            throw notA(io.core, routine, r, csq, "CsqReleaseLock of IO_CSQ 0x" + Long.toHexString(csq), "IO_CSQ_RELEASE_LOCK");
        } finally {
            ts.enterDriver(owner);
        }
    }

    private static RuntimeException escaped(KernelCore k, long routine, long object, String what, Throwable e) {
        return k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, routine, object, 0,
                "exception escaped " + what + " routine 0x" + Long.toHexString(routine) + " (object 0x" + Long.toHexString(object) + "): " + e);
    }

    private static RuntimeException notA(KernelCore k, long routine, Object r, long object, String what, String type) {
        if (r != null) {
            return new IllegalStateException(what + " 0x" + Long.toHexString(routine) + " (object 0x" + Long.toHexString(object)
                    + ") is a " + r.getClass().getSimpleName() + "'s stub, not a " + type);
        }
        if (routine == 0) {
            return k.bugCheck(BugCheckCode.PAGE_FAULT_IN_NONPAGED_AREA, 0, KeDpc.FAULT_EXECUTE, object, 0,
                    what + " of 0x" + Long.toHexString(object) + " is NULL");
        }
        return KeDpc.badRoutine(k, routine, object, what + " (object 0x" + Long.toHexString(object) + ")");
    }

    // ===== upcalls: what native code calling a stub reaches =====

    private static MemorySegment bounded(KernelCore k, MemorySegment s, long size) {
        long a = s.address();
        return a != 0 && k.addressSpace().isValid(a, size) ? k.addressSpace().resolve(a, size) : s;
    }

    private static void swallow(KernelCore k, String what, Throwable e) {
        try {
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0, 0, 0,
                    "exception escaped " + what + " called from native code: " + e);
        } catch (Throwable processed) {
            // processed (callbacks, dump, policy); nothing may propagate into native code
        }
    }

    private static int upDispatch(DRIVER_DISPATCH r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            return r.call(bounded(k, a, IoManager.DEVICE_OBJECT_SIZE), bounded(k, b, IoManager.IRP_SIZE));
        } catch (Throwable e) {
            swallow(k, "a dispatch routine", e);
            return NtStatus.STATUS_UNHANDLED_EXCEPTION;
        }
    }

    private static int upInit(DRIVER_INITIALIZE r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            return r.call(bounded(k, a, IoManager.DRIVER_OBJECT_SIZE), b);
        } catch (Throwable e) {
            swallow(k, "a DriverEntry", e);
            return NtStatus.STATUS_UNHANDLED_EXCEPTION;
        }
    }

    private static void upUnload(DRIVER_UNLOAD r, KernelCore k, MemorySegment a) {
        try {
            r.call(bounded(k, a, IoManager.DRIVER_OBJECT_SIZE));
        } catch (Throwable e) {
            swallow(k, "a DriverUnload", e);
        }
    }

    private static void upCancel(DRIVER_CANCEL r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            r.call(bounded(k, a, IoManager.DEVICE_OBJECT_SIZE), bounded(k, b, IoManager.IRP_SIZE));
        } catch (Throwable e) {
            swallow(k, "a cancel routine", e);
        }
    }

    private static int upCompletion(IO_COMPLETION_ROUTINE r, KernelCore k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            return r.call(bounded(k, a, IoManager.DEVICE_OBJECT_SIZE), bounded(k, b, IoManager.IRP_SIZE), c);
        } catch (Throwable e) {
            swallow(k, "a completion routine", e);
            return NtStatus.STATUS_UNHANDLED_EXCEPTION;
        }
    }

    private static void upCsqInsert(IO_CSQ_INSERT_IRP r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), bounded(k, b, IoManager.IRP_SIZE));
        } catch (Throwable e) {
            swallow(k, "CsqInsertIrp", e);
        }
    }

    private static int upCsqInsertEx(IO_CSQ_INSERT_IRP_EX r, KernelCore k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            return r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), bounded(k, b, IoManager.IRP_SIZE), c);
        } catch (Throwable e) {
            swallow(k, "CsqInsertIrpEx", e);
            return NtStatus.STATUS_UNHANDLED_EXCEPTION;
        }
    }

    private static void upCsqRemove(IO_CSQ_REMOVE_IRP r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), bounded(k, b, IoManager.IRP_SIZE));
        } catch (Throwable e) {
            swallow(k, "CsqRemoveIrp", e);
        }
    }

    private static MemorySegment upCsqPeek(IO_CSQ_PEEK_NEXT_IRP r, KernelCore k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            MemorySegment next = r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), b.address() == 0 ? MemorySegment.NULL
                    : bounded(k, b, IoManager.IRP_SIZE), c);
            return next == null ? MemorySegment.NULL : MemorySegment.ofAddress(next.address());
        } catch (Throwable e) {
            swallow(k, "CsqPeekNextIrp", e);
            return MemorySegment.NULL;
        }
    }

    private static void upCsqAcquire(IO_CSQ_ACQUIRE_LOCK r, KernelCore k, MemorySegment a, MemorySegment irql) {
        try {
            r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), irql.reinterpret(1));
        } catch (Throwable e) {
            swallow(k, "CsqAcquireLock", e);
        }
    }

    private static void upCsqRelease(IO_CSQ_RELEASE_LOCK r, KernelCore k, MemorySegment a, byte irql) {
        try {
            r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), irql & 0xFF);
        } catch (Throwable e) {
            swallow(k, "CsqReleaseLock", e);
        }
    }

    private static void upCsqComplete(IO_CSQ_COMPLETE_CANCELED_IRP r, KernelCore k, MemorySegment a, MemorySegment b) {
        try {
            r.call(bounded(k, a, IoManager.IO_CSQ_SIZE), bounded(k, b, IoManager.IRP_SIZE));
        } catch (Throwable e) {
            swallow(k, "CsqCompleteCanceledIrp", e);
        }
    }

    // ===== descriptors and handles =====

    private static final FunctionDescriptor FD_P_V = FunctionDescriptor.ofVoid(ADDRESS);
    private static final FunctionDescriptor FD_PP_V = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS);
    private static final FunctionDescriptor FD_PB_V = FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE);
    private static final FunctionDescriptor FD_PP_I = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor FD_PPP_I = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    private static final FunctionDescriptor FD_PPP_P = FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS);

    private static final Linker LINKER = Linker.nativeLinker();
    /** Native routines, the pointers passed as 64-bit integers (the same registers). */
    private static final MethodHandle NATIVE_P_V = LINKER.downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle NATIVE_PP_V = LINKER.downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle NATIVE_PB_V = LINKER.downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_BYTE));
    private static final MethodHandle NATIVE_PP_I = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle NATIVE_PPP_I = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle NATIVE_PPP_P = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    private static final MethodHandle UP_DISPATCH;
    private static final MethodHandle UP_INIT;
    private static final MethodHandle UP_UNLOAD;
    private static final MethodHandle UP_CANCEL;
    private static final MethodHandle UP_COMPLETION;
    private static final MethodHandle UP_CSQ_INSERT;
    private static final MethodHandle UP_CSQ_INSERT_EX;
    private static final MethodHandle UP_CSQ_REMOVE;
    private static final MethodHandle UP_CSQ_PEEK;
    private static final MethodHandle UP_CSQ_ACQUIRE;
    private static final MethodHandle UP_CSQ_RELEASE;
    private static final MethodHandle UP_CSQ_COMPLETE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            Class<?> s = MemorySegment.class;
            UP_DISPATCH = l.findStatic(IoRoutines.class, "upDispatch", MethodType.methodType(int.class, DRIVER_DISPATCH.class, KernelCore.class, s, s));
            UP_INIT = l.findStatic(IoRoutines.class, "upInit", MethodType.methodType(int.class, DRIVER_INITIALIZE.class, KernelCore.class, s, s));
            UP_UNLOAD = l.findStatic(IoRoutines.class, "upUnload", MethodType.methodType(void.class, DRIVER_UNLOAD.class, KernelCore.class, s));
            UP_CANCEL = l.findStatic(IoRoutines.class, "upCancel", MethodType.methodType(void.class, DRIVER_CANCEL.class, KernelCore.class, s, s));
            UP_COMPLETION = l.findStatic(IoRoutines.class, "upCompletion",
                    MethodType.methodType(int.class, IO_COMPLETION_ROUTINE.class, KernelCore.class, s, s, s));
            UP_CSQ_INSERT = l.findStatic(IoRoutines.class, "upCsqInsert",
                    MethodType.methodType(void.class, IO_CSQ_INSERT_IRP.class, KernelCore.class, s, s));
            UP_CSQ_INSERT_EX = l.findStatic(IoRoutines.class, "upCsqInsertEx",
                    MethodType.methodType(int.class, IO_CSQ_INSERT_IRP_EX.class, KernelCore.class, s, s, s));
            UP_CSQ_REMOVE = l.findStatic(IoRoutines.class, "upCsqRemove",
                    MethodType.methodType(void.class, IO_CSQ_REMOVE_IRP.class, KernelCore.class, s, s));
            UP_CSQ_PEEK = l.findStatic(IoRoutines.class, "upCsqPeek",
                    MethodType.methodType(s, IO_CSQ_PEEK_NEXT_IRP.class, KernelCore.class, s, s, s));
            UP_CSQ_ACQUIRE = l.findStatic(IoRoutines.class, "upCsqAcquire",
                    MethodType.methodType(void.class, IO_CSQ_ACQUIRE_LOCK.class, KernelCore.class, s, s));
            UP_CSQ_RELEASE = l.findStatic(IoRoutines.class, "upCsqRelease",
                    MethodType.methodType(void.class, IO_CSQ_RELEASE_LOCK.class, KernelCore.class, s, byte.class));
            UP_CSQ_COMPLETE = l.findStatic(IoRoutines.class, "upCsqComplete",
                    MethodType.methodType(void.class, IO_CSQ_COMPLETE_CANCELED_IRP.class, KernelCore.class, s, s));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
