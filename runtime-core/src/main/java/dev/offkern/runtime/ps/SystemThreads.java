package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.offkern.layout.Abi;
import dev.offkern.layout.OpaqueParts;
import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.KSTART_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * System threads: {@code PsCreateSystemThread}, {@code PsTerminateSystemThread} and what a
 * thread's end does. A system thread is a Java platform thread (daemon, named
 * {@code offkern-system-thread-<id>}) with an ETHREAD in the System process; it attaches to its
 * kernel, enters a critical region at PASSIVE_LEVEL (as Windows starts it) and runs its start
 * routine — a Java {@link KSTART_ROUTINE} (ETHREAD.StartAddress is then the routine's upcall stub,
 * callable from native code) or a native function pointer into a registered library. Returning
 * ends the thread with STATUS_SUCCESS; {@code PsTerminateSystemThread} with its status. The end
 * writes the exit status (PsGetThreadExitStatus: STATUS_PENDING until then), unlinks the ETHREAD
 * from the process, signals it (waiters on the thread object wake) and retires its id; the
 * handle's reference keeps the object until ZwClose.
 *
 * <p>An exception escaping a Java start routine is KMODE_EXCEPTION_NOT_HANDLED (0x1E), raised on
 * the system thread; a StartRoutine that is no code is 0x50 / 0xFC at creation, from the caller
 * (Windows would fault in the new thread). Stateless apart from the per-kernel manager it serves.
 */
public final class SystemThreads {
    /** What PsTerminateSystemThread throws to unwind the start routine to the thread's end. */
    static final class Termination extends Error {
        final int status;

        Termination(int status) {
            super("PsTerminateSystemThread(0x" + Integer.toHexString(status) + ") unwinding the start routine", null, false, false);
            this.status = status;
        }
    }

    private SystemThreads() {
    }

    /**
     * {@code PsCreateSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle,
     * ClientId, StartRoutine, StartContext)} for a Java routine ({@code javaRoutine}) or a native
     * one ({@code nativeRoutine}); {@code attach} runs first on the new thread (it binds the thread
     * to the kernel at the ddi boundary).
     */
    public static int create(ProcessManager pm, MemorySegment threadHandle, int desiredAccess, MemorySegment objectAttributes,
                             long processHandle, MemorySegment clientId, KSTART_ROUTINE javaRoutine, MemorySegment nativeRoutine,
                             MemorySegment startContext, Runnable attach) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "PsCreateSystemThread");
        }
        KernelCore k = pm.core;
        ObjectManager ob = pm.ob;
        if (threadHandle == null || threadHandle.address() == 0) {
            throw new IllegalArgumentException("PsCreateSystemThread: ThreadHandle is NULL");
        }
        long start;
        if (javaRoutine != null) {
            start = k.routines().stubFor(javaRoutine, UPCALL.bindTo(javaRoutine).bindTo(k), UPCALL_DESCRIPTOR);
        } else {
            if (nativeRoutine == null || nativeRoutine.address() == 0) {
                throw new IllegalArgumentException("PsCreateSystemThread: StartRoutine is NULL");
            }
            start = nativeRoutine.address();
            if (!k.routines().isNativeCode(start)) {
                throw KeDpc.badRoutine(k, start, 0, "StartRoutine of PsCreateSystemThread");
            }
        }
        int attributes = 0;
        if (objectAttributes != null && objectAttributes.address() != 0) {
            MemorySegment oa = objectAttributes.byteSize() >= OBJECT_ATTRIBUTES.X64.size() ? objectAttributes
                    : k.addressSpace().resolve(objectAttributes.address(), OBJECT_ATTRIBUTES.X64.size());
            attributes = oa.get(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET);
            if ((attributes & (ObjectAttributes.OBJ_PERMANENT | ObjectAttributes.OBJ_EXCLUSIVE | ObjectAttributes.OBJ_OPENIF)) != 0
                    || oa.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET) != 0) {
                return NtStatus.STATUS_INVALID_PARAMETER; // a thread has no name; OBJ_PERMANENT, OBJ_EXCLUSIVE, OBJ_OPENIF are refused
            }
        }
        PsProcess process = pm.system();
        if (processHandle == ObjectAttributesCurrentProcess) {
            process = pm.current().current; // the process the caller runs in (attached or its own)
        } else if (processHandle != 0) {
            long body = ob.referenceByHandle(processHandle, AccessMask.PROCESS_CREATE_THREAD, ob.processType(), ObjectManager.KernelMode, null);
            if (body < 0) {
                return (int) body;
            }
            process = pm.processAt(body);
            ob.dereference(body); // a live process's id-table reference keeps it until its threads have ended
            if (process == null) {
                return NtStatus.STATUS_INVALID_PARAMETER;
            }
        }
        PsThread p = pm.newThread(process, true, true, start);
        if (p == null) {
            return NtStatus.STATUS_PROCESS_IS_TERMINATING; // ZwTerminateProcess ran: no thread may join it
        }
        int st = ObRoutines.openObjectByPointer(ob, p.ethread, attributes & ~ObjectAttributes.OBJ_OPENIF, MemorySegment.NULL,
                desiredAccess, MemorySegment.NULL, ObjectManager.KernelMode, threadHandle);
        if (st != NtStatus.STATUS_SUCCESS) {
            pm.terminate(p, st); // never ran: its end frees it
            return st;
        }
        if (clientId != null && clientId.address() != 0) {
            MemorySegment cid = clientId.byteSize() >= CLIENT_ID_SIZE ? clientId : k.addressSpace().resolve(clientId.address(), CLIENT_ID_SIZE);
            cid.set(JAVA_LONG_UNALIGNED, UNIQUE_PROCESS, process.id());
            cid.set(JAVA_LONG_UNALIGNED, UNIQUE_THREAD, p.id);
        }
        try {
            pm.notify.threadCreated(p, false); // on the creating thread, before the new one runs
        } catch (RuntimeException notified) { // a routine's 0x1E: the thread never runs
            MemorySegment out = threadHandle.byteSize() >= 8 ? threadHandle : k.addressSpace().resolve(threadHandle.address(), 8);
            ob.close(out.get(JAVA_LONG_UNALIGNED, 0), ObjectManager.KernelMode);
            pm.terminate(p, NtStatus.STATUS_UNHANDLED_EXCEPTION);
            throw notified;
        }
        Object routine = javaRoutine;
        long context = startContext == null ? 0 : startContext.address();
        Thread t = Thread.ofPlatform().daemon(true).name("offkern-system-thread-" + p.id)
                .unstarted(() -> run(pm, p, routine, start, context, attach));
        pm.pending.put(t, p); // its first call's kernel state takes this ETHREAD as its KTHREAD
        pm.systemThreadsRunning.put(p, t); // removed by the thread's last statement (kernel close waits for an ended one)
        t.start();
        return NtStatus.STATUS_SUCCESS;
    }

    /** Sentinel for NtCurrentProcess(): (HANDLE)-1. */
    private static final long ObjectAttributesCurrentProcess = ObjectAttributes.NtCurrentProcess;

    private static void run(ProcessManager pm, PsThread p, Object routine, long start, long context, Runnable attach) {
        try {
            runAndEnd(pm, p, routine, start, context, attach);
        } finally {
            pm.systemThreadsRunning.remove(p); // the last statement: its end is complete (kernel close may wait for this)
        }
    }

    private static void runAndEnd(ProcessManager pm, PsThread p, Object routine, long start, long context, Runnable attach) {
        int status = NtStatus.STATUS_SUCCESS;
        try {
            attach.run();
            ThreadState ts = ThreadState.current(); // binds p's ETHREAD as the thread's KTHREAD (ProcessManager.create)
            ts.setExecutive(p);
            pm.ob.attach(p.process.handles); // its handles live in its process's table
            pm.notify.threadCreated(p, true);
            ts.addKernelApcDisable(-1); // starts inside a critical region (KeEnterCriticalRegion), at PASSIVE_LEVEL
            ts.enterRoutine(start); // a driver's start routine runs as that driver's code (docs/io.md "Attribution")
            try {
                if (routine instanceof KSTART_ROUTINE j) {
                    j.call(MemorySegment.ofAddress(context));
                } else {
                    NATIVE_START.invokeExact(MemorySegment.ofAddress(start), context);
                }
            } finally {
                ts.addKernelApcDisable(1);
            }
        } catch (Termination t) {
            status = t.status;
        } catch (BugCheck | KernelHaltedException processed) {
            status = NtStatus.STATUS_UNHANDLED_EXCEPTION;
        } catch (IllegalStateException closed) {
            status = NtStatus.STATUS_UNHANDLED_EXCEPTION; // the kernel closed under the routine
        } catch (Throwable e) {
            status = NtStatus.STATUS_UNHANDLED_EXCEPTION;
            try {
                throw pm.core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL,
                        start, p.address(), 0, "exception escaped the start routine of system thread " + p.id + ": " + e);
            } catch (RuntimeException processed) {
                // processed (callbacks, dump, policy): the thread ends
            }
        }
        if (!pm.core.isClosed()) {
            try {
                ProcessAttach.checkDetachedAtExit(pm, p);
            } catch (RuntimeException processed) {
                // 0x5 processed (callbacks, dump, policy): the thread still ends
            }
            try {
                pm.notify.threadEnded(p);
            } catch (RuntimeException processed) {
                // a routine's 0x1E processed: the thread still ends
            }
            try {
                pm.terminate(p, status);
            } catch (RuntimeException closedMeanwhile) {
                // the kernel closed or halted under the end: its close accounts for the object
            }
        }
        pm.pending.remove(Thread.currentThread()); // it never made its kernel state (it failed before its first call)
        ThreadState.forget(); // the thread leaves the kernel: its state's reference on the ETHREAD goes now, not at the next GC
        try {
            pm.releaseState(p);
        } catch (RuntimeException closedMeanwhile) {
            // the kernel closed or halted meanwhile: its close accounts for the object
        }
    }

    /**
     * {@code PsTerminateSystemThread(ExitStatus)}: ends the calling system thread (does not return);
     * STATUS_INVALID_PARAMETER if the caller is not a thread PsCreateSystemThread made.
     */
    public static int terminate(ProcessManager pm, int exitStatus) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, "PsTerminateSystemThread");
        }
        PsThread p = pm.current();
        if (!p.created) {
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        throw new Termination(exitStatus);
    }

    /** Upcall target of a Java start routine's stub (native code calling StartAddress). */
    private static void upcall(KSTART_ROUTINE routine, KernelCore k, MemorySegment context) {
        try {
            routine.call(context);
        } catch (Throwable e) {
            try {
                throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0, 0, 0,
                        "exception escaped a start routine called from native code: " + e);
            } catch (Throwable processed) {
                // nothing may propagate into native code
            }
        }
    }

    private static final long CLIENT_ID_SIZE = OpaqueParts.clientId(Abi.X64).size();
    private static final long UNIQUE_PROCESS = OpaqueParts.clientId(Abi.X64).offset("UniqueProcess");
    private static final long UNIQUE_THREAD = OpaqueParts.clientId(Abi.X64).offset("UniqueThread");
    private static final FunctionDescriptor UPCALL_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS);
    private static final MethodHandle UPCALL;
    /** {@code void (*)(PVOID)} with the pointer as a 64-bit integer. */
    private static final MethodHandle NATIVE_START = Linker.nativeLinker().downcallHandle(FunctionDescriptor.ofVoid(JAVA_LONG));

    static {
        try {
            UPCALL = MethodHandles.lookup().findStatic(SystemThreads.class, "upcall",
                    MethodType.methodType(void.class, KSTART_ROUTINE.class, KernelCore.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
