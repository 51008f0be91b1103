package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ex.EX_TIMER;
import dev.offkern.layout.ex.GENERAL_LOOKASIDE;
import dev.offkern.layout.ex.WORK_QUEUE_ITEM;
import dev.offkern.layout.io.DEVICE_OBJECT;
import dev.offkern.layout.io.DEVOBJ_EXTENSION;
import dev.offkern.layout.io.DRIVER_OBJECT;
import dev.offkern.layout.io.IO_WORKITEM;
import dev.offkern.layout.ke.KDPC;
import dev.offkern.layout.ke.KINTERRUPT;
import dev.offkern.layout.ke.KTIMER;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.ke.KeDpc;
import dev.offkern.runtime.mm.Region;
import dev.offkern.runtime.pool.LeakReport;
import dev.offkern.runtime.verifier.VerifierCheck;
import java.util.Map;

/**
 * What IoDeleteDriver checks once a driver's Unload has returned (and what a failed DriverEntry
 * leaves): the driver's pending operations and its leaked pool. See docs/io.md "Unload and leaks".
 *
 * <h2>Pending operations: DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (0xCE)</h2>
 * A set KTIMER, a queued KDPC, a queued WORK_QUEUE_ITEM or IO_WORKITEM, or a connected KINTERRUPT
 * is the driver's when the routine it would call was made while the driver's code ran (its stub's
 * owner, {@code RoutineTable.ownerOf}), when the object lies in a pool block the driver allocated,
 * or in one of the driver's device objects still present (its extension included), or — an
 * IO_WORKITEM — when its IoObject is the driver or one of its devices, or — a KINTERRUPT — when the
 * driver's code connected it. The first one found is the bug check, with Microsoft's parameters:
 * P1 the memory the pending operation would reference once the driver is gone (its routine if the
 * routine is the driver's, else the object itself), P2 0 (read), P3 the object that would
 * reference it (the KTIMER, KDPC, WORK_QUEUE_ITEM or KINTERRUPT), P4 0 (reserved). Windows raises
 * 0xCE later, when the stale code is reached; offkern raises it at the unload, where the mistake is.
 * Also 0xCE (Microsoft's 0xCE page names "lookaside lists, DPCs, worker threads"; Driver Verifier's
 * 0xC4 has no unload subcode for them): a set EX_TIMER whose Callback is the driver's (or whose
 * expiry is queued), a lookaside list the driver's code initialized (or lying in its memory) and did
 * not delete, a PsCreateSystemThread thread still running the driver's start routine.
 *
 * <h2>Objects, handles, EX_TIMERs left: reported</h2>
 * The objects the driver created that are alive, the System-process handles it left open
 * ({@code ObjectManager.takeDriverObjects/Handles}) and its EX_TIMERs still allocated are recorded
 * with the pool leak ({@link IoManager.DriverLeak}); Windows documents no bug check for them.
 *
 * <h2>Leaked pool: DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) 0x62</h2>
 * The blocks the driver allocated itself (ExAllocatePool2 and family while its code ran) and did
 * not free are recorded by tag ({@link IoManager#unloadLeaks}) and keep the driver's name in the
 * kernel's leak report and poolmon; its owner id stays reserved for them. Under the verifier's
 * POOL family (Driver Verifier's pool tracking) the unload is also bug check 0xC4 with P1 0x62,
 * P2 the address of DriverObject->DriverName (the driver's name), P3 the DRIVER_OBJECT (offkern's
 * stand-in for the verifier's MI_VERIFIER_DRIVER_ENTRY), P4 the number of blocks not freed.
 *
 * <p>Both checks run after the driver object's name and the I/O manager's reference are released,
 * so the kernel stays consistent under the THROW policy. Progress: blocking (snapshots under the
 * timer-table, DPC-queue and work-queue locks); cost O(timer buckets + pending objects + pool pages),
 * paid once per unload.
 */
final class IoUnload {
    private IoUnload() {
    }

    /** A pending operation found: the bug check's P1 and P3 and a description. */
    private record Pending(long referenced, long object, String what) {
    }

    /**
     * Collects what the driver {@code body} (owner id {@code owner}, named {@code name}) left behind;
     * returns the bug check to raise (0xCE, or 0xC4/0x62 under the verifier), or null. Records the
     * leak. Call before releasing the driver object (its device list is read here).
     */
    static RuntimeException check(IoManager io, long body, int owner, String name, boolean[] leaked) {
        if (owner == 0 || io.pools == null) {
            return null;
        }
        Pending p = pending(io, body, owner);
        LeakReport leaks = io.pools.outstanding(owner);
        leaked[0] = !leaks.isEmpty();
        java.util.List<dev.offkern.runtime.ob.DriverObjects.LeftObject> objects = io.ob.takeDriverObjects(owner);
        java.util.List<dev.offkern.runtime.ob.DriverObjects.LeftHandle> handles = io.ob.takeDriverHandles(owner);
        java.util.List<String> others = exTimersLeft(io, owner);
        if (leaked[0] || !objects.isEmpty() || !handles.isEmpty() || !others.isEmpty()) {
            io.recordLeak(new IoManager.DriverLeak(name, leaks, objects, handles, others));
        }
        if (p != null) {
            return io.core.bugCheck(BugCheckCode.DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, p.referenced(), 0, p.object(), 0,
                    name + " unloaded with " + p.what() + " still pending (cancel timers, remove DPCs, let work items run and"
                            + " disconnect interrupts before Unload returns)");
        }
        if (leaked[0] && io.core.verifies(VerifierCheck.POOL)) {
            return io.core.bugCheck(BugCheckCode.DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, body + DRIVER_OBJECT.DRIVER_NAME_OFFSET, body,
                    leaks.blocks(), name + " unloaded without freeing " + leaks.blocks() + " pool block(s):\n" + leaks.describe("at its unload"));
        }
        return null;
    }

    private static Pending pending(IoManager io, long body, int owner) {
        long[] devices = deviceRanges(io, body);
        org.agrona.collections.LongHashSet exTimers = new org.agrona.collections.LongHashSet();
        for (long x : io.core.clock().timers().liveExTimers()) {
            exTimers.add(x);
        }
        for (long t : io.core.clock().timers().armedTimers()) {
            if (exTimers.contains(t)) { // an EX_TIMER (its KTIMER first): its DPC is the kernel's delivery, its Callback the driver's
                long callback = read(io, t + EX_TIMER.CALLBACK_OFFSET);
                if (callback != 0 && io.core.routines().ownerOf(callback) == owner) {
                    return new Pending(callback, t, "EX_TIMER 0x" + Long.toHexString(t) + " set (its Callback 0x"
                            + Long.toHexString(callback) + " is the driver's code)");
                }
                continue;
            }
            long dpc = read(io, t + KTIMER.DPC_OFFSET);
            long routine = dpc == 0 ? 0 : read(io, dpc + KDPC.DEFERRED_ROUTINE_OFFSET);
            Pending p = owned(io, owner, devices, routine, t, "KTIMER 0x" + Long.toHexString(t) + " set", t, dpc);
            if (p != null) {
                return p;
            }
        }
        for (long d : KeDpc.queuedDpcs(io.core)) {
            long exTimer = d - EX_TIMER.TIMER_DPC_OFFSET;
            if (exTimers.contains(exTimer)) { // an EX_TIMER's delivery, queued: its Callback will run
                long callback = read(io, exTimer + EX_TIMER.CALLBACK_OFFSET);
                if (callback != 0 && io.core.routines().ownerOf(callback) == owner) {
                    return new Pending(callback, exTimer, "EX_TIMER 0x" + Long.toHexString(exTimer) + " expired, its callback queued");
                }
                continue;
            }
            long routine = read(io, d + KDPC.DEFERRED_ROUTINE_OFFSET);
            Pending p = owned(io, owner, devices, routine, d, "KDPC 0x" + Long.toHexString(d) + " queued", d);
            if (p != null) {
                return p;
            }
        }
        if (io.workQueues != null) {
            for (long item : io.workQueues.queuedItems()) {
                long routine = read(io, item + WORK_QUEUE_ITEM.WORKER_ROUTINE_OFFSET);
                long parameter = read(io, item + WORK_QUEUE_ITEM.PARAMETER_OFFSET);
                if (parameter != 0 && parameter + IO_WORKITEM.WORK_ITEM_OFFSET == item) { // an IO_WORKITEM's embedded item
                    long ioObject = read(io, parameter + IO_WORKITEM.IO_OBJECT_OFFSET);
                    long ioRoutine = read(io, parameter + IO_WORKITEM.ROUTINE_OFFSET);
                    if (ioObject == body || within(devices, ioObject)) {
                        return new Pending(ioRoutine, item, "IO_WORKITEM 0x" + Long.toHexString(parameter) + " queued for its device");
                    }
                    routine = ioRoutine;
                }
                Pending p = owned(io, owner, devices, routine, item, "work item 0x" + Long.toHexString(item) + " queued", item);
                if (p != null) {
                    return p;
                }
            }
        }
        if (io.interrupts != null) {
            for (Map.Entry<Long, Integer> e : io.interrupts.connected().entrySet()) {
                long k = e.getKey();
                long isr = read(io, k + KINTERRUPT.SERVICE_ROUTINE_OFFSET);
                long routine = isr != 0 ? isr : read(io, k + KINTERRUPT.MESSAGE_SERVICE_ROUTINE_OFFSET);
                if (e.getValue() == owner) {
                    return new Pending(routine, k, "KINTERRUPT 0x" + Long.toHexString(k) + " connected");
                }
                Pending p = owned(io, owner, devices, routine, k, "KINTERRUPT 0x" + Long.toHexString(k) + " connected", k);
                if (p != null) {
                    return p;
                }
            }
        }
        if (io.lookasides != null) {
            for (Map.Entry<Long, Integer> e : io.lookasides.liveOwners().entrySet()) {
                long list = e.getKey();
                long allocate = read(io, list + GENERAL_LOOKASIDE.ALLOCATE_EX_OFFSET);
                String what = "lookaside list 0x" + Long.toHexString(list) + " not deleted";
                if (e.getValue() == owner) {
                    boolean driversRoutine = allocate != 0 && io.core.routines().ownerOf(allocate) == owner;
                    return new Pending(driversRoutine ? allocate : list, list, what + " (initialized by the driver's code)");
                }
                Pending p = owned(io, owner, devices, allocate, list, what, list);
                if (p != null) {
                    return p;
                }
            }
        }
        if (io.systemThreads != null) {
            for (long[] t : io.systemThreads.get()) {
                if (t[1] != 0 && io.core.routines().ownerOf(t[1]) == owner) {
                    return new Pending(t[1], t[0], "system thread 0x" + Long.toHexString(t[0]) + " (PsCreateSystemThread) still running"
                            + " the driver's start routine 0x" + Long.toHexString(t[1]));
                }
            }
        }
        return null;
    }

    /** The driver's EX_TIMERs still allocated (not set: a set one is 0xCE): those whose Callback is its code. */
    private static java.util.List<String> exTimersLeft(IoManager io, int owner) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (long x : io.core.clock().timers().liveExTimers()) {
            long callback = read(io, x + EX_TIMER.CALLBACK_OFFSET);
            if (callback != 0 && io.core.routines().ownerOf(callback) == owner) {
                out.add("EX_TIMER 0x" + Long.toHexString(x) + " allocated (ExAllocateTimer) and not deleted (ExDeleteTimer)");
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    /** The pending operation if its routine or one of {@code objects} is the driver's, else null. */
    private static Pending owned(IoManager io, int owner, long[] devices, long routine, long object, String what, long... objects) {
        if (routine != 0 && io.core.routines().ownerOf(routine) == owner) {
            return new Pending(routine, object, what + " (its routine 0x" + Long.toHexString(routine) + " is the driver's code)");
        }
        for (long o : objects) {
            if (o == 0) {
                continue;
            }
            if (io.pools.ownerOf(o) == owner) {
                return new Pending(o, object, what + " (in the driver's pool block at 0x" + Long.toHexString(o) + ")");
            }
            if (within(devices, o)) {
                return new Pending(o, object, what + " (in one of the driver's device objects)");
            }
        }
        return null;
    }

    /** [start, end) pairs of the driver's device objects still present: DEVICE_OBJECT through its DEVOBJ_EXTENSION. */
    private static long[] deviceRanges(IoManager io, long body) {
        org.agrona.collections.LongArrayList out = new org.agrona.collections.LongArrayList();
        synchronized (io.database) {
            long dev = read(io, body + DRIVER_OBJECT.DEVICE_OBJECT_OFFSET);
            for (int guard = 0; dev != 0 && guard < 1 << 16; guard++) {
                long doe = read(io, dev + DEVICE_OBJECT.DEVICE_OBJECT_EXTENSION_OFFSET);
                out.addLong(dev);
                out.addLong(doe > dev ? doe + DEVOBJ_EXTENSION.X64.size() : dev + IoManager.DEVICE_OBJECT_SIZE);
                dev = read(io, dev + DEVICE_OBJECT.NEXT_DEVICE_OFFSET);
            }
        }
        return out.toLongArray();
    }

    private static boolean within(long[] ranges, long address) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (address >= ranges[i] && address < ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** The pointer at {@code address}, or 0 if it is not in kernel memory. */
    private static long read(IoManager io, long address) {
        Region r = io.space.find(address, 8);
        return r == null ? 0 : r.segment().get(JAVA_LONG, r.offsetOf(address));
    }
}
