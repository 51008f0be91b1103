package dev.offkern.runtime.ps;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ps.PS_CREATE_NOTIFY_INFO;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE;
import dev.offkern.nt.CREATE_PROCESS_NOTIFY_ROUTINE_EX;
import dev.offkern.nt.CREATE_THREAD_NOTIFY_ROUTINE;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.runtime.ke.IrqlChecks;
import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The process and thread notify routines: {@code PsSetCreateProcessNotifyRoutineEx},
 * {@code PsSetCreateProcessNotifyRoutine}, {@code PsSetCreateThreadNotifyRoutine},
 * {@code PsRemoveCreateThreadNotifyRoutine}, and their calls.
 *
 * <h2>Registration</h2>
 * Each routine is stored as a function pointer: the upcall stub the kernel's RoutineTable keeps for
 * it (kernel lifetime, one per routine object), so native code could call it; Java dispatch calls the
 * routine object directly. Process routines (Ex and legacy share one table, as Windows'
 * PspCreateProcessNotifyRoutine does) are limited to 64 and registered at most once each:
 * STATUS_INVALID_PARAMETER for a 65th or a repeat; removing one that is not registered is
 * STATUS_PROCEDURE_NOT_FOUND. Thread routines are limited to 64 (STATUS_INSUFFICIENT_RESOURCES) and may
 * be registered more than once (each registration is called; a removal removes one);
 * PsRemoveCreateThreadNotifyRoutine of an unregistered routine is STATUS_PROCEDURE_NOT_FOUND. A
 * removal waits until no call of that routine is in flight (Windows' rundown), so after it returns the
 * routine is never called again; removing a routine from inside its own call would wait for itself:
 * IllegalStateException.
 *
 * <h2>Calls</h2>
 * On the thread that creates or ends the process or thread, at PASSIVE_LEVEL inside a critical region
 * (KeEnterCriticalRegion), in registration order. Process creation gives Ex routines a
 * PS_CREATE_NOTIFY_INFO in nonpaged pool (Size, ParentProcessId, CreatingThreadId, ImageFileName,
 * CreationStatus = STATUS_SUCCESS; FileObject and CommandLine NULL; freed after the calls); the first
 * that stores an error status vetoes: no later routine is called, the routines already called hear
 * of the process's exit, and the creation fails with that status. Thread routines hear of the threads
 * the kernel creates (PsCreateSystemThread), not of the embedder's Java threads, which model the
 * kernel's callers (their ETHREADs appear lazily, at any IRQL). As on Windows, a
 * PsSetCreateThreadNotifyRoutine (or PsCreateThreadNotifySubsystems) routine hears of a creation on
 * the creating thread, before the new thread runs, and of the end on the ending thread; a
 * PsCreateThreadNotifyNonSystem routine runs on the new thread and only for non-system threads —
 * every thread offkern creates is a system thread, so such a routine is registered and never called. An exception escaping a routine is
 * KMODE_EXCEPTION_NOT_HANDLED (0x1E: STATUS_UNHANDLED_EXCEPTION, the routine's stub).
 *
 * <p>Progress: registration blocking (this object's monitor; removal also waits for in-flight
 * calls); the call path reads a copy-on-write snapshot (one volatile read) and adds to each routine's
 * in-flight count.
 */
final class PsNotify {
    /** Routines per table (Windows: PSP_MAX_CREATE_PROCESS_NOTIFY, PSP_MAX_CREATE_THREAD_NOTIFY). */
    static final int LIMIT = 64;
    /** PSCREATETHREADNOTIFYTYPE PsCreateThreadNotifyNonSystem: called on the new thread, for non-system threads only. */
    static final int NOTIFY_NON_SYSTEM = 0;
    /** PSCREATETHREADNOTIFYTYPE PsCreateThreadNotifySubsystems: called for the threads of every subsystem. */
    static final int NOTIFY_SUBSYSTEMS = 1;
    /** offkern's kind of a PsSetCreateThreadNotifyRoutine registration (creation told on the creating thread). */
    static final int NOTIFY_LEGACY = -1;
    private static final int INFO_TAG = PoolTags.tag("PsCn");

    /** One registration. */
    private static final class Entry {
        final Object routine;
        /** The routine's function pointer (its upcall stub). */
        final long stub;
        /** Calls of this registration in progress; a removal waits for 0. */
        final AtomicInteger inFlight = new AtomicInteger();
        /** Set by the removal before it waits (volatile: a call that counts itself after it sees it). */
        volatile boolean removed;
        /** A thread routine's kind: NOTIFY_LEGACY, NOTIFY_NON_SYSTEM or NOTIFY_SUBSYSTEMS (process routines: NOTIFY_LEGACY). */
        final int kind;

        Entry(Object routine, long stub) {
            this(routine, stub, NOTIFY_LEGACY);
        }

        Entry(Object routine, long stub, int kind) {
            this.routine = routine;
            this.stub = stub;
            this.kind = kind;
        }
    }

    private final ProcessManager pm;
    /** Copy-on-write under this object's monitor; read lock-free (volatile). */
    private volatile Entry[] processRoutines = new Entry[0];
    private volatile Entry[] threadRoutines = new Entry[0];
    /** The registration whose routine the current thread is running (innermost), to refuse a self-removal. */
    private final ThreadLocal<Entry> running = new ThreadLocal<>();

    PsNotify(ProcessManager pm) {
        this.pm = pm;
    }

    // ===== registration =====

    /** {@code PsSetCreateProcessNotifyRoutineEx(NotifyRoutine, Remove)} and {@code PsSetCreateProcessNotifyRoutine(NotifyRoutine, Remove)}. */
    int setProcessRoutine(Object routine, boolean remove, String name) {
        checkRegistration(routine, name);
        Entry removed;
        synchronized (this) {
            Entry[] cur = processRoutines;
            int at = indexOf(cur, routine);
            if (!remove) {
                if (at >= 0 || cur.length >= LIMIT) {
                    return NtStatus.STATUS_INVALID_PARAMETER; // registered already, or the table is full
                }
                processRoutines = append(cur, new Entry(routine, stubOf(routine))); // volatile write: publishes the entry
                return NtStatus.STATUS_SUCCESS;
            }
            if (at < 0) {
                return NtStatus.STATUS_PROCEDURE_NOT_FOUND;
            }
            removed = cur[at];
            refuseSelfRemoval(removed, name);
            removed.removed = true; // volatile write: before the wait below reads inFlight (Dekker with call())
            processRoutines = without(cur, at);
        }
        awaitQuiet(removed, name);
        return NtStatus.STATUS_SUCCESS;
    }

    /** {@code PsSetCreateThreadNotifyRoutine(NotifyRoutine)}. */
    int addThreadRoutine(CREATE_THREAD_NOTIFY_ROUTINE routine) {
        return addThreadRoutine(routine, NOTIFY_LEGACY, "PsSetCreateThreadNotifyRoutine");
    }

    /**
     * {@code PsSetCreateThreadNotifyRoutineEx(NotifyType, NotifyInformation)}: STATUS_INVALID_PARAMETER
     * for a NotifyType that is neither PsCreateThreadNotifyNonSystem nor PsCreateThreadNotifySubsystems.
     */
    int addThreadRoutineEx(int notifyType, CREATE_THREAD_NOTIFY_ROUTINE routine) {
        if (notifyType != NOTIFY_NON_SYSTEM && notifyType != NOTIFY_SUBSYSTEMS) {
            checkRegistration(routine, "PsSetCreateThreadNotifyRoutineEx");
            return NtStatus.STATUS_INVALID_PARAMETER;
        }
        return addThreadRoutine(routine, notifyType, "PsSetCreateThreadNotifyRoutineEx");
    }

    private int addThreadRoutine(CREATE_THREAD_NOTIFY_ROUTINE routine, int kind, String name) {
        checkRegistration(routine, name);
        synchronized (this) {
            Entry[] cur = threadRoutines;
            if (cur.length >= LIMIT) {
                return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
            }
            threadRoutines = append(cur, new Entry(routine, stubOf(routine), kind)); // volatile write: publishes the entry
            return NtStatus.STATUS_SUCCESS;
        }
    }

    /** {@code PsRemoveCreateThreadNotifyRoutine(NotifyRoutine)}. */
    int removeThreadRoutine(CREATE_THREAD_NOTIFY_ROUTINE routine) {
        checkRegistration(routine, "PsRemoveCreateThreadNotifyRoutine");
        Entry removed;
        synchronized (this) {
            Entry[] cur = threadRoutines;
            int at = indexOf(cur, routine);
            if (at < 0) {
                return NtStatus.STATUS_PROCEDURE_NOT_FOUND;
            }
            removed = cur[at];
            refuseSelfRemoval(removed, "PsRemoveCreateThreadNotifyRoutine");
            removed.removed = true; // volatile write: as in setProcessRoutine
            threadRoutines = without(cur, at);
        }
        awaitQuiet(removed, "PsRemoveCreateThreadNotifyRoutine");
        return NtStatus.STATUS_SUCCESS;
    }

    /** Registered process routines (tests, diagnostics). */
    int processRoutineCount() {
        return processRoutines.length;
    }

    /** Registered thread routines (tests, diagnostics). */
    int threadRoutineCount() {
        return threadRoutines.length;
    }

    private void checkRegistration(Object routine, String name) {
        if (Verifier.ENABLED) {
            IrqlChecks.requireAtMost(Irql.PASSIVE_LEVEL, name);
        }
        if (routine == null) {
            throw new IllegalArgumentException(name + ": NotifyRoutine is NULL");
        }
    }

    /** A removal from inside the routine's own call would wait for itself: refused before anything changes. */
    private void refuseSelfRemoval(Entry e, String name) {
        if (running.get() == e) {
            throw new IllegalStateException(name + " called from inside the routine it removes: it would wait for itself");
        }
    }

    private void awaitQuiet(Entry e, String name) {
        for (int spins = 0; e.inFlight.get() != 0; spins++) { // volatile read: pairs with call()'s increment
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    private long stubOf(Object routine) {
        KernelCore k = pm.core;
        return switch (routine) {
            case CREATE_PROCESS_NOTIFY_ROUTINE_EX r -> k.routines().stubFor(r, PROCESS_EX_UPCALL.bindTo(r).bindTo(k), PROCESS_EX_DESCRIPTOR);
            case CREATE_PROCESS_NOTIFY_ROUTINE r -> k.routines().stubFor(r, PROCESS_UPCALL.bindTo(r).bindTo(k), CREATE_DESCRIPTOR);
            case CREATE_THREAD_NOTIFY_ROUTINE r -> k.routines().stubFor(r, THREAD_UPCALL.bindTo(r).bindTo(k), CREATE_DESCRIPTOR);
            default -> throw new IllegalArgumentException("not a notify routine: " + routine);
        };
    }

    private static int indexOf(Entry[] a, Object routine) {
        for (int i = 0; i < a.length; i++) {
            if (a[i].routine == routine) {
                return i;
            }
        }
        return -1;
    }

    private static Entry[] append(Entry[] a, Entry e) {
        Entry[] n = Arrays.copyOf(a, a.length + 1);
        n[a.length] = e;
        return n;
    }

    private static Entry[] without(Entry[] a, int at) {
        Entry[] n = new Entry[a.length - 1];
        System.arraycopy(a, 0, n, 0, at);
        System.arraycopy(a, at + 1, n, at, a.length - at - 1);
        return n;
    }

    // ===== calls =====

    /**
     * Tells the process routines of {@code p}'s creation by {@code creator}; returns STATUS_SUCCESS or
     * the CreationStatus an Ex routine stored (the routines called before it have heard of the exit).
     */
    int processCreated(PsProcess p, long parentId, PsThread creator, String image) {
        Entry[] routines = processRoutines; // volatile read: the snapshot this creation notifies
        if (routines.length == 0) {
            return NtStatus.STATUS_SUCCESS;
        }
        long infoSize = PS_CREATE_NOTIFY_INFO.X64.size();
        int nameBytes = 2 * image.length();
        long block = pm.nonPaged.allocate(infoSize + UNICODE_STRING.X64.size() + nameBytes, INFO_TAG, 0);
        if (block == 0) {
            return NtStatus.STATUS_INSUFFICIENT_RESOURCES;
        }
        try {
            MemorySegment all = pm.core.addressSpace().resolve(block, infoSize + UNICODE_STRING.X64.size() + nameBytes);
            MemorySegment info = all.asSlice(0, infoSize);
            long us = block + infoSize;
            MemorySegment name = all.asSlice(infoSize, UNICODE_STRING.X64.size());
            for (int i = 0; i < image.length(); i++) {
                all.set(JAVA_SHORT, infoSize + UNICODE_STRING.X64.size() + 2L * i, (short) image.charAt(i));
            }
            name.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) nameBytes);
            name.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) nameBytes);
            name.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, nameBytes == 0 ? 0 : us + UNICODE_STRING.X64.size());
            int status = NtStatus.STATUS_SUCCESS;
            int last = 0;
            for (Entry e : routines) {
                last++;
                if (e.routine instanceof CREATE_PROCESS_NOTIFY_ROUTINE_EX ex) {
                    info.fill((byte) 0);
                    info.set(JAVA_LONG, PS_CREATE_NOTIFY_INFO.SIZE_OFFSET, infoSize);
                    info.set(JAVA_LONG, PS_CREATE_NOTIFY_INFO.PARENT_PROCESS_ID_OFFSET, parentId);
                    info.set(JAVA_LONG, PS_CREATE_NOTIFY_INFO.CREATING_UNIQUE_PROCESS_OFFSET, creator.process.id);
                    info.set(JAVA_LONG, PS_CREATE_NOTIFY_INFO.CREATING_UNIQUE_THREAD_OFFSET, creator.id);
                    info.set(JAVA_LONG, PS_CREATE_NOTIFY_INFO.IMAGE_FILE_NAME_OFFSET, us);
                    info.set(JAVA_INT, PS_CREATE_NOTIFY_INFO.CREATION_STATUS_OFFSET, NtStatus.STATUS_SUCCESS);
                    call(e, () -> ex.call(p.eprocess, p.id, info));
                    int st = info.get(JAVA_INT, PS_CREATE_NOTIFY_INFO.CREATION_STATUS_OFFSET);
                    if (!NtStatus.NT_SUCCESS(st)) {
                        status = st;
                        break;
                    }
                } else if (e.routine instanceof CREATE_PROCESS_NOTIFY_ROUTINE r) {
                    call(e, () -> r.call(parentId, p.id, true));
                }
            }
            if (status != NtStatus.STATUS_SUCCESS) {
                notifyExit(Arrays.copyOf(routines, last), p); // those called, the vetoing routine included
            }
            return status;
        } finally {
            pm.nonPaged.free(block, INFO_TAG);
        }
    }

    /** Tells the process routines that {@code p} ends. */
    void processEnded(PsProcess p) {
        notifyExit(processRoutines, p); // volatile read
    }

    private void notifyExit(Entry[] routines, PsProcess p) {
        for (Entry e : routines) {
            if (e.routine instanceof CREATE_PROCESS_NOTIFY_ROUTINE_EX ex) {
                call(e, () -> ex.call(p.eprocess, p.id, MemorySegment.NULL));
            } else if (e.routine instanceof CREATE_PROCESS_NOTIFY_ROUTINE r) {
                call(e, () -> r.call(p.parentId, p.id, false));
            }
        }
    }

    /**
     * Tells the thread routines of {@code t}'s creation: the PsSetCreateThreadNotifyRoutine and
     * PsCreateThreadNotifySubsystems ones on the creating thread ({@code onNewThread} false, before the
     * new thread starts), the PsCreateThreadNotifyNonSystem ones on the new thread ({@code onNewThread}
     * true) if it is not a system thread.
     */
    void threadCreated(PsThread t, boolean onNewThread) {
        Entry[] routines = threadRoutines; // volatile read
        for (Entry e : routines) {
            boolean nonSystem = e.kind == NOTIFY_NON_SYSTEM;
            if (nonSystem == onNewThread && (!nonSystem || !t.system)) {
                CREATE_THREAD_NOTIFY_ROUTINE r = (CREATE_THREAD_NOTIFY_ROUTINE) e.routine;
                call(e, () -> r.call(t.process.id, t.id, true));
            }
        }
    }

    /** Tells the thread routines that {@code t} ends (NonSystem ones only for a non-system thread); runs on {@code t}. */
    void threadEnded(PsThread t) {
        Entry[] routines = threadRoutines; // volatile read
        for (Entry e : routines) {
            if (e.kind != NOTIFY_NON_SYSTEM || !t.system) {
                CREATE_THREAD_NOTIFY_ROUTINE r = (CREATE_THREAD_NOTIFY_ROUTINE) e.routine;
                call(e, () -> r.call(t.process.id, t.id, false));
            }
        }
    }

    /**
     * Calls one registration's routine unless it was removed: counted in flight around the call,
     * inside a critical region. Returns whether it ran.
     */
    private boolean call(Entry e, Runnable invocation) {
        e.inFlight.incrementAndGet(); // volatile add: before reading removed (Dekker with the removal)
        Entry outer = running.get();
        ThreadState ts = ThreadState.current();
        try {
            if (e.removed) { // volatile read
                return false;
            }
            running.set(e);
            ts.addKernelApcDisable(-1); // KeEnterCriticalRegion
            try {
                invocation.run();
            } finally {
                ts.addKernelApcDisable(1);
            }
            return true;
        } catch (BugCheck | KernelHaltedException processed) {
            throw processed;
        } catch (RuntimeException | Error ex) {
            throw pm.core.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, e.stub, 0, 0,
                    "exception escaped a process/thread notify routine: " + ex);
        } finally {
            running.set(outer);
            e.inFlight.decrementAndGet(); // volatile add: the removal's wait sees the call done
        }
    }

    // ===== upcall stubs (native code calling a Java routine through its function pointer) =====

    private static void processExUpcall(CREATE_PROCESS_NOTIFY_ROUTINE_EX r, KernelCore k, MemorySegment process, long id, MemorySegment info) {
        try {
            r.call(process, id, info);
        } catch (Throwable e) {
            swallow(k, e);
        }
    }

    private static void processUpcall(CREATE_PROCESS_NOTIFY_ROUTINE r, KernelCore k, long parent, long id, boolean create) {
        try {
            r.call(parent, id, create);
        } catch (Throwable e) {
            swallow(k, e);
        }
    }

    private static void threadUpcall(CREATE_THREAD_NOTIFY_ROUTINE r, KernelCore k, long process, long thread, boolean create) {
        try {
            r.call(process, thread, create);
        } catch (Throwable e) {
            swallow(k, e);
        }
    }

    private static void swallow(KernelCore k, Throwable e) {
        try {
            throw k.bugCheck(BugCheckCode.KMODE_EXCEPTION_NOT_HANDLED, NtStatus.STATUS_UNHANDLED_EXCEPTION & 0xFFFFFFFFL, 0, 0, 0,
                    "exception escaped a notify routine called from native code: " + e);
        } catch (Throwable processed) {
            // nothing may propagate into native code
        }
    }

    private static final FunctionDescriptor PROCESS_EX_DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS);
    private static final FunctionDescriptor CREATE_DESCRIPTOR = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_BOOLEAN);
    private static final MethodHandle PROCESS_EX_UPCALL;
    private static final MethodHandle PROCESS_UPCALL;
    private static final MethodHandle THREAD_UPCALL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PROCESS_EX_UPCALL = l.findStatic(PsNotify.class, "processExUpcall", MethodType.methodType(void.class,
                    CREATE_PROCESS_NOTIFY_ROUTINE_EX.class, KernelCore.class, MemorySegment.class, long.class, MemorySegment.class));
            PROCESS_UPCALL = l.findStatic(PsNotify.class, "processUpcall", MethodType.methodType(void.class,
                    CREATE_PROCESS_NOTIFY_ROUTINE.class, KernelCore.class, long.class, long.class, boolean.class));
            THREAD_UPCALL = l.findStatic(PsNotify.class, "threadUpcall", MethodType.methodType(void.class,
                    CREATE_THREAD_NOTIFY_ROUTINE.class, KernelCore.class, long.class, long.class, boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
