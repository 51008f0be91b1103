package dev.offkern.runtime.ob;

import dev.offkern.runtime.ke.KernelCore;
import dev.offkern.runtime.ke.ThreadState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which objects and system-process handles a driver made (docs/io.md "Attribution"): an object
 * created, or a handle entered in the System process's table, while the calling thread runs a
 * driver's code ({@link ThreadState#driverOwner}) is recorded with that driver's owner id, so that
 * IoDeleteDriver can report what the driver left alive.
 *
 * <p>What is recorded: objects of every type except Type, Device, Driver, Thread, Process and Token
 * (the I/O manager accounts for devices and drivers itself; threads, processes and tokens the kernel
 * makes and keeps on its own schedule while serving the driver — a system thread still running at
 * the unload is the unload check's 0xCE); handles in the System process's table to the same types.
 * An object leaves the record when it is deleted, a handle when it is closed through the table's
 * close (a handle closed another way is found stale at the unload: its entry no longer holds the
 * object it was made for). References taken with ObReferenceObject are not tracked (they carry no
 * owner and may be dropped by any thread).
 *
 * <p>Cost: one thread-confined read of the caller's owner per object creation and per System-table
 * handle insertion; a map operation only when a driver's code is running, or when a record exists.
 * Progress: lock-free maps (ConcurrentHashMap). Reports are snapshots: exact when no other thread
 * creates or closes the driver's objects meanwhile (the driver has unloaded).
 */
public final class DriverObjects {
    /** An object a driver created that is still alive. */
    public record LeftObject(long body, String type, long pointerCount, long handleCount) {
        @Override
        public String toString() {
            return type + " object 0x" + Long.toHexString(body) + " (" + pointerCount + " reference(s), " + handleCount + " handle(s))";
        }
    }

    /** A handle a driver opened in the System process's table and did not close. */
    public record LeftHandle(long handle, long body, String type) {
        @Override
        public String toString() {
            return "handle 0x" + Long.toHexString(handle) + " to " + type + " object 0x" + Long.toHexString(body);
        }
    }

    private final KernelCore core;
    /** Object body → owner id. */
    private final Map<Long, Integer> objects = new ConcurrentHashMap<>();
    /** System-table handle index → {owner id, object header, handle value}. */
    private final Map<Integer, long[]> handles = new ConcurrentHashMap<>();

    DriverObjects(KernelCore core) {
        this.core = core;
    }

    /** The owner id of the driver whose code the calling thread runs (0: none, or not this kernel's thread). */
    int callerOwner() {
        ThreadState s = ThreadState.peek();
        return s == null || s.kernel() != core ? 0 : s.driverOwner();
    }

    void created(long body, int owner) {
        objects.put(body, owner);
    }

    void deleted(long body) {
        if (!objects.isEmpty()) {
            objects.remove(body);
        }
    }

    void handleCreated(int index, long header, long handle, int owner) {
        handles.put(index, new long[] {owner, header, handle});
    }

    void handleClosed(int index) {
        if (!handles.isEmpty()) {
            handles.remove(index);
        }
    }

    /** The objects owner {@code owner} created that are still alive; forgets them (reported once). */
    List<LeftObject> takeObjects(ObjectManager ob, int owner) {
        List<LeftObject> out = new ArrayList<>();
        for (Map.Entry<Long, Integer> e : objects.entrySet()) {
            if (e.getValue() == owner && objects.remove(e.getKey(), e.getValue())) {
                long body = e.getKey();
                ObjectType t = ob.typeIfObject(body);
                if (t != null) {
                    out.add(new LeftObject(body, t.name, ob.pointerCount(body), ob.handleCount(body)));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(LeftObject::body));
        return out;
    }

    /** The System-table handles owner {@code owner} opened that are still open on the same object; forgets them. */
    List<LeftHandle> takeHandles(ObjectManager ob, HandleTable system, int owner) {
        List<LeftHandle> out = new ArrayList<>();
        for (Map.Entry<Integer, long[]> e : handles.entrySet()) {
            long[] v = e.getValue();
            if (v[0] == owner && handles.remove(e.getKey(), v)) {
                long header = system.peek(e.getKey(), null);
                if (header == v[1]) {
                    long body = header + ObjectManager.HEADER_SIZE;
                    ObjectType t = ob.typeIfObject(body);
                    out.add(new LeftHandle(v[2], body, t == null ? "?" : t.name));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(LeftHandle::handle));
        return out;
    }
}
