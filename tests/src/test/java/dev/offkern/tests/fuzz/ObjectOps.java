package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.PoolType;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The object manager: each thread creates events (some named, some with kernel handles), uses them
 * through handles (reference, duplicate, set, poll with a zero timeout, open by name) and closes
 * every handle it made before the step ends; references are balanced. Hostile steps pass handle
 * values no thread holds (large indexes, the kernel bits, garbage), pointers that are no object
 * (unmapped, or a fuzz block whose TypeIndex byte names no type), bad OBJECT_ATTRIBUTES and bad type
 * initializers. A step never closes another thread's handle: kernel handles are used only by their
 * owner (a stale one is INVALID_KERNEL_HANDLE under the verifier, a documented outcome).
 */
final class ObjectOps {
    private ObjectOps() {
    }

    static List<Op> ops() {
        return List.of(
                Op.of("ob.eventHandles", 6, ObjectOps::eventHandles, "ZwCreateEvent", "ZwOpenEvent", "ZwSetEvent",
                        "ZwWaitForSingleObject", "ZwDuplicateObject", "ZwClose", "NtClose", "ObReferenceObjectByHandle",
                        "ObDereferenceObject", "InitializeObjectAttributes", "ExEventObjectType", "PsProcessType"),
                Op.of("ob.references", 4, ObjectOps::references, "ZwCreateEvent", "ObReferenceObjectByHandle", "ObReferenceObject",
                        "ObDereferenceObject", "ObReferenceObjectByPointer", "ObGetObjectType", "ObOpenObjectByPointer", "ZwClose",
                        "ExSemaphoreObjectType", "IoFileObjectType", "IoDeviceObjectType", "IoDriverObjectType", "SeTokenObjectType",
                        "PsThreadType"),
                Op.of("ob.types", 2, ObjectOps::types, "ObCreateObjectType", "ObCreateObject", "ObInsertObject",
                        "ObReferenceObjectByName", "ObDereferenceObject", "ZwClose", "InitializeObjectAttributes"),
                Op.of("ob.permanent", 2, ObjectOps::permanent, "ZwCreateEvent", "ZwOpenEvent", "ZwClose", "ZwMakeTemporaryObject",
                        "ObMakeTemporaryObject", "ObReferenceObjectByHandle", "ObDereferenceObject"),
                Op.of("ob.hostile", 3, ObjectOps::hostile, "ObReferenceObjectByHandle", "ZwClose", "NtClose", "ZwSetEvent",
                        "ZwWaitForSingleObject", "ZwDuplicateObject", "ObReferenceObject", "ObDereferenceObject", "ObGetObjectType",
                        "ObReferenceObjectByPointer", "ZwCreateEvent", "ZwOpenEvent", "ObCreateObjectType"));
    }

    private static final String[] NAMES = {"\\BaseNamedObjects\\FuzzA", "\\BaseNamedObjects\\FuzzB", "\\basenamedobjects\\fuzza",
        "\\Fuzz\\C", "NotAbsolute", "\\Trailing\\", "\\Fuzz\\\\Empty"};

    /** A scratch block of this step (UNICODE_STRINGs, OBJECT_ATTRIBUTES, out parameters), freed after it. */
    private static MemorySegment scratch(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 512, World.TAG);
        if (b.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("fuzzer: no pool for a scratch block");
        }
        c.after.add(x -> Ex.ExFreePool(b));
        return b;
    }

    /** OBJECT_ATTRIBUTES at {@code b+64} naming {@code name} (its UNICODE_STRING at b+128, characters at b+144). */
    private static MemorySegment attributes(MemorySegment b, String name, int attributes) {
        MemorySegment us = MemorySegment.NULL;
        if (name != null) {
            byte[] chars = name.getBytes(StandardCharsets.UTF_16LE);
            us = b.asSlice(128, 16);
            us.set(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET, (short) chars.length);
            us.set(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) chars.length);
            us.set(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET, b.address() + 144);
            MemorySegment.copy(chars, 0, b, JAVA_BYTE, 144, chars.length);
        }
        MemorySegment oa = b.asSlice(64, 48);
        Ob.InitializeObjectAttributes(oa, us, attributes, 0, MemorySegment.NULL);
        return oa;
    }

    private static int anyAccess(Ctx c) {
        return switch (c.n(6)) {
            case 0 -> 0;
            case 1 -> AccessMask.EVENT_ALL_ACCESS;
            case 2 -> AccessMask.SYNCHRONIZE;
            case 3 -> AccessMask.GENERIC_READ | AccessMask.GENERIC_WRITE;
            case 4 -> AccessMask.MAXIMUM_ALLOWED;
            default -> c.anyInt();
        };
    }

    private static void closeAll(List<Long> handles) {
        for (long h : handles) {
            Zw.ZwClose(h);
        }
        handles.clear();
    }

    /**
     * OBJ_PERMANENT: a named event of this thread's own outlives its handles, opens by name, and goes
     * with ObMakeTemporaryObject / ZwMakeTemporaryObject (made temporary before the step ends, even
     * after a failure, so no permanent object outlives the step).
     */
    static void permanent(Ctx c) {
        MemorySegment b = scratch(c);
        String name = "\\Fuzz\\Permanent" + Thread.currentThread().threadId();
        int kernel = c.p(0.5) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0;
        if (Zw.ZwCreateEvent(b.asSlice(0, 8), AccessMask.EVENT_ALL_ACCESS, attributes(b, name, ObjectAttributes.OBJ_PERMANENT | kernel),
                c.n(2), false) != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("creating a permanent named event failed");
        }
        long h = b.get(JAVA_LONG, 0);
        if (Ob.ObReferenceObjectByHandle(h, 0, MemorySegment.NULL, Ob.KernelMode, b.asSlice(8, 8), MemorySegment.NULL) != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException("a new permanent event's handle does not resolve");
        }
        MemorySegment event = MemorySegment.ofAddress(b.get(JAVA_LONG, 8));
        boolean viaHandle = c.p(0.5);
        try {
            if (!viaHandle) {
                Zw.ZwClose(h);
                if (Zw.ZwOpenEvent(b.asSlice(16, 8), AccessMask.SYNCHRONIZE, attributes(b, name, kernel)) != NtStatus.STATUS_SUCCESS) {
                    throw new FuzzInvariantException("a permanent event without handles is not found by name");
                }
                Zw.ZwClose(b.get(JAVA_LONG, 16));
            }
        } finally {
            if (viaHandle) {
                Zw.ZwMakeTemporaryObject(h);
                Zw.ZwClose(h);
            } else {
                Ob.ObMakeTemporaryObject(event);
            }
            Ob.ObDereferenceObject(event);
        }
        if (Zw.ZwOpenEvent(b.asSlice(16, 8), AccessMask.SYNCHRONIZE, attributes(b, name, kernel)) != NtStatus.STATUS_OBJECT_NAME_NOT_FOUND) {
            throw new FuzzInvariantException("a permanent event made temporary, without handles, is still named");
        }
    }

    static void eventHandles(Ctx c) {
        MemorySegment b = scratch(c);
        List<Long> mine = new ArrayList<>();
        c.after.add(x -> closeAll(mine));
        for (int i = 0; i < 1 + c.n(6); i++) {
            int attrs = (c.p(0.3) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0) | (c.p(0.3) ? ObjectAttributes.OBJ_OPENIF : 0)
                    | (c.p(0.2) ? ObjectAttributes.OBJ_INHERIT : 0);
            String name = c.p(0.4) ? NAMES[c.n(NAMES.length)] : null;
            c.note("create " + name + " 0x" + Integer.toHexString(attrs));
            int st = Zw.ZwCreateEvent(b.asSlice(0, 8), anyAccess(c), c.p(0.2) && name == null ? MemorySegment.NULL
                    : attributes(b, name, attrs), c.p(0.9) ? c.n(2) : c.anyInt(), c.p(0.5));
            if (NtStatus.NT_SUCCESS(st)) {
                mine.add(b.get(JAVA_LONG, 0));
            }
        }
        for (int i = 0; i < c.n(12) && !mine.isEmpty(); i++) {
            long h = mine.get(c.n(mine.size()));
            switch (c.n(7)) {
                case 0 -> Zw.ZwSetEvent(h, c.p(0.5) ? b.asSlice(8, 4) : MemorySegment.NULL);
                case 1 -> Zw.ZwWaitForSingleObject(h, false, b.asSlice(16, 8).fill((byte) 0)); // zero timeout: a poll
                case 2 -> {
                    int st = Ob.ObReferenceObjectByHandle(h, anyAccess(c), c.p(0.7) ? Ex.ExEventObjectType() : c.p(0.5)
                            ? MemorySegment.NULL : Ps.PsProcessType(), c.p(0.5) ? Ob.KernelMode : Ob.UserMode, b.asSlice(24, 8),
                            c.p(0.5) ? b.asSlice(32, 8) : MemorySegment.NULL);
                    if (st == NtStatus.STATUS_SUCCESS) {
                        Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG, 24)));
                    }
                }
                case 3 -> {
                    int st = Zw.ZwDuplicateObject(Zw.NtCurrentProcess, h, Zw.NtCurrentProcess, b.asSlice(40, 8), anyAccess(c),
                            c.p(0.3) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0, c.n(8) & ~ObjectAttributes.DUPLICATE_CLOSE_SOURCE);
                    if (st == NtStatus.STATUS_SUCCESS) {
                        mine.add(b.get(JAVA_LONG, 40));
                    }
                }
                case 4 -> {
                    int st = Zw.ZwOpenEvent(b.asSlice(48, 8), anyAccess(c), attributes(b, NAMES[c.n(NAMES.length)],
                            c.p(0.3) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0));
                    if (st == NtStatus.STATUS_SUCCESS) {
                        mine.add(b.get(JAVA_LONG, 48));
                    }
                }
                case 5 -> {
                    mine.remove(h);
                    check(Zw.NtClose(h), "NtClose of an own handle");
                }
                default -> {
                    mine.remove(h);
                    check(Zw.ZwClose(h), "ZwClose of an own handle");
                }
            }
        }
    }

    private static void check(int st, String what) {
        if (st != NtStatus.STATUS_SUCCESS) {
            throw new FuzzInvariantException(what + " returned 0x" + Integer.toHexString(st));
        }
    }

    static void references(Ctx c) {
        MemorySegment b = scratch(c);
        List<Long> mine = new ArrayList<>();
        c.after.add(x -> closeAll(mine));
        if (Zw.ZwCreateEvent(b.asSlice(0, 8), AccessMask.EVENT_ALL_ACCESS, MemorySegment.NULL, Ke.SynchronizationEvent, false)
                != NtStatus.STATUS_SUCCESS) {
            return;
        }
        mine.add(b.get(JAVA_LONG, 0));
        check(Ob.ObReferenceObjectByHandle(mine.get(0), 0, Ex.ExEventObjectType(), Ob.KernelMode, b.asSlice(8, 8), MemorySegment.NULL),
                "ObReferenceObjectByHandle of an own event");
        MemorySegment event = MemorySegment.ofAddress(b.get(JAVA_LONG, 8));
        List<Runnable> undo = new ArrayList<>();
        c.after.add(x -> {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
            undo.clear();
        });
        undo.add(() -> Ob.ObDereferenceObject(event));
        MemorySegment[] types = {Ex.ExEventObjectType(), Ex.ExSemaphoreObjectType(), Io.IoFileObjectType(), Io.IoDeviceObjectType(),
            Io.IoDriverObjectType(), Se.SeTokenObjectType(), Ps.PsThreadType(), Ps.PsProcessType(), MemorySegment.NULL};
        for (int i = 0; i < 1 + c.n(8); i++) {
            switch (c.n(4)) {
                case 0 -> {
                    Ob.ObReferenceObject(event);
                    undo.add(() -> Ob.ObDereferenceObject(event));
                }
                case 1 -> {
                    int st = Ob.ObReferenceObjectByPointer(event, anyAccess(c), types[c.n(types.length)], c.n(2));
                    if (st == NtStatus.STATUS_SUCCESS) {
                        undo.add(() -> Ob.ObDereferenceObject(event));
                    }
                }
                case 2 -> {
                    if (Ob.ObGetObjectType(event).address() != Ex.ExEventObjectType().address()) {
                        throw new FuzzInvariantException("ObGetObjectType of an event is not ExEventObjectType");
                    }
                }
                default -> {
                    int st = Ob.ObOpenObjectByPointer(event, c.p(0.3) ? ObjectAttributes.OBJ_KERNEL_HANDLE : c.p(0.1) ? c.anyInt() : 0,
                            MemorySegment.NULL, anyAccess(c), types[c.n(types.length)], c.n(2), b.asSlice(16, 8));
                    if (st == NtStatus.STATUS_SUCCESS) {
                        mine.add(b.get(JAVA_LONG, 16));
                    }
                }
            }
        }
    }

    private static final String[] TYPE_NAMES = {"FuzzTypeA", "FuzzTypeB", "FuzzTypeC", "Event"};

    static void types(Ctx c) {
        MemorySegment b = scratch(c);
        List<Long> mine = new ArrayList<>();
        c.after.add(x -> closeAll(mine));
        MemorySegment init = b.asSlice(256, OBJECT_TYPE_INITIALIZER.X64.size());
        init.fill((byte) 0);
        init.set(JAVA_SHORT, OBJECT_TYPE_INITIALIZER.LENGTH_OFFSET, (short) (c.p(0.9) ? OBJECT_TYPE_INITIALIZER.X64.size() : c.n(0x100)));
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.VALID_ACCESS_MASK_OFFSET, c.anyInt());
        init.set(JAVA_INT, OBJECT_TYPE_INITIALIZER.POOL_TYPE_OFFSET, c.p(0.9) ? PoolType.NonPagedPoolNx : c.anyInt());
        if (c.p(0.1)) {
            init.set(JAVA_LONG, OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET, c.pointerValue());
        }
        String name = TYPE_NAMES[c.n(TYPE_NAMES.length)];
        MemorySegment us = attributes(b, name, 0).address() == 0 ? MemorySegment.NULL : b.asSlice(128, 16);
        int st = Ob.ObCreateObjectType(us, init, MemorySegment.NULL, b.asSlice(0, 8), c.p(0.5) ? null : ObjectTypeProcedures.NONE);
        c.note("ObCreateObjectType " + name + " 0x" + Integer.toHexString(st));
        MemorySegment type = st == NtStatus.STATUS_SUCCESS ? MemorySegment.ofAddress(b.get(JAVA_LONG, 0)) : Io.IoFileObjectType();
        String objName = c.p(0.5) ? NAMES[c.n(NAMES.length)] : null;
        MemorySegment oa = attributes(b, objName, c.p(0.3) ? ObjectAttributes.OBJ_KERNEL_HANDLE : 0);
        st = Ob.ObCreateObject(Ob.KernelMode, type, oa, Ob.KernelMode, MemorySegment.NULL, 8 + c.n(64), 0, 0, b.asSlice(8, 8));
        if (st != NtStatus.STATUS_SUCCESS) {
            return;
        }
        MemorySegment object = MemorySegment.ofAddress(b.get(JAVA_LONG, 8));
        if (c.p(0.2)) {
            Ob.ObDereferenceObject(object); // never inserted: deleted at once
            return;
        }
        st = Ob.ObInsertObject(object, MemorySegment.NULL, anyAccess(c), 0, MemorySegment.NULL, b.asSlice(16, 8));
        if (NtStatus.NT_SUCCESS(st)) {
            mine.add(b.get(JAVA_LONG, 16));
        }
        if (objName != null) {
            int r = Ob.ObReferenceObjectByName(b.asSlice(128, 16), 0, MemorySegment.NULL, 0, c.p(0.5) ? type : MemorySegment.NULL,
                    Ob.KernelMode, MemorySegment.NULL, b.asSlice(24, 8));
            if (r == NtStatus.STATUS_SUCCESS) {
                Ob.ObDereferenceObject(MemorySegment.ofAddress(b.get(JAVA_LONG, 24)));
            }
        }
    }

    /** A handle value no thread holds: a huge index, or the user form of a never-used index, or garbage without the kernel bits. */
    private static long strangeHandle(Ctx c) {
        return switch (c.n(5)) {
            case 0 -> 0L;
            case 1 -> (0x400000L + c.n(0x100000)) << 2;
            case 2 -> ((0x400000L + c.n(0x100000)) << 2) | 0xFFFFFFFF80000000L;
            case 3 -> Zw.NtCurrentProcess - c.n(2);
            default -> (c.r.nextLong() & 0x7FFFFFFFFFFFFFFFL) | 0x1000000000L;
        };
    }

    static void hostile(Ctx c) {
        MemorySegment b = scratch(c);
        long h = strangeHandle(c);
        c.note("hostile handle 0x" + Long.toHexString(h));
        switch (c.n(10)) {
            case 0 -> Ob.ObReferenceObjectByHandle(h, anyAccess(c), c.p(0.5) ? MemorySegment.NULL : Ex.ExEventObjectType(), c.n(2),
                    b.asSlice(0, 8), MemorySegment.NULL);
            case 1 -> Zw.ZwClose(h);
            case 2 -> Zw.NtClose(h);
            case 3 -> Zw.ZwSetEvent(h, MemorySegment.NULL);
            case 4 -> Zw.ZwWaitForSingleObject(h, false, b.asSlice(8, 8).fill((byte) 0));
            case 5 -> Zw.ZwDuplicateObject(Zw.NtCurrentProcess, h, c.p(0.8) ? Zw.NtCurrentProcess : h, b.asSlice(16, 8), 0, 0, 0);
            case 6 -> {
                // a pointer that is no object: unmapped, or inside a scratch block whose TypeIndex byte names no type
                MemorySegment p;
                if (c.p(0.5)) {
                    p = MemorySegment.ofAddress(c.unmappedAddress());
                } else {
                    b.asSlice(256, 0x40).fill((byte) c.n(2));
                    p = MemorySegment.ofAddress(b.address() + 256 + 0x30);
                }
                switch (c.n(4)) {
                    case 0 -> Ob.ObReferenceObject(p);
                    case 1 -> Ob.ObDereferenceObject(p);
                    case 2 -> Ob.ObGetObjectType(p);
                    default -> Ob.ObReferenceObjectByPointer(p, 0, MemorySegment.NULL, Ob.KernelMode);
                }
            }
            case 7 -> {
                MemorySegment oa = attributes(b, NAMES[c.n(NAMES.length)], c.anyInt());
                c.scribble(oa);
                int st = Zw.ZwCreateEvent(b.asSlice(0, 8), anyAccess(c), oa, c.n(3), false);
                if (NtStatus.NT_SUCCESS(st)) {
                    Zw.ZwMakeTemporaryObject(b.get(JAVA_LONG, 0)); // the attributes may have had OBJ_PERMANENT
                    Zw.ZwClose(b.get(JAVA_LONG, 0));
                }
            }
            case 8 -> {
                MemorySegment oa = attributes(b, NAMES[c.n(NAMES.length)], c.anyInt());
                c.scribble(oa);
                int st = Zw.ZwOpenEvent(b.asSlice(0, 8), anyAccess(c), oa);
                if (NtStatus.NT_SUCCESS(st)) {
                    Zw.ZwClose(b.get(JAVA_LONG, 0));
                }
            }
            default -> {
                MemorySegment init = b.asSlice(256, OBJECT_TYPE_INITIALIZER.X64.size());
                c.randomize(init);
                MemorySegment us = attributes(b, "FuzzHostile", 0).address() == 0 ? MemorySegment.NULL : b.asSlice(128, 16);
                if (c.p(0.5)) {
                    c.scribble(us);
                }
                Ob.ObCreateObjectType(us, init, MemorySegment.NULL, b.asSlice(0, 8));
            }
        }
    }
}
