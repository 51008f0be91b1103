package dev.offkern.runtime.io;

import static java.lang.foreign.ValueLayout.JAVA_CHAR_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.ObjectAttributes;
import dev.offkern.nt.PoolTags;
import dev.offkern.runtime.ob.ObRoutines;
import dev.offkern.runtime.ob.ObjectManager;
import dev.offkern.runtime.ob.ObjectType;
import java.lang.foreign.MemorySegment;

/**
 * Creating the I/O manager's objects through the object manager (ObCreateObject, then ObInsertObject
 * for a named one) and reading the UNICODE_STRING names drivers pass. A named object's kernel
 * handle keeps its name until the I/O manager closes it (IoDeleteDriver / IoDeleteDevice).
 */
final class IoNames {
    private static final int TAG_NAME = PoolTags.tag("IoNm");
    private static final long OA = 0;
    private static final long US = OBJECT_ATTRIBUTES.X64.size();
    private static final long OUT_OBJECT = US + UNICODE_STRING.X64.size();
    private static final long OUT_HANDLE = OUT_OBJECT + 8;
    private static final long CHARS = OUT_HANDLE + 8;

    private IoNames() {
    }

    /** The text of the UNICODE_STRING at {@code us} (NULL: null); STATUS_OBJECT_NAME_INVALID as an IoFailure for a bad one. */
    static String read(IoManager io, MemorySegment us, String routine) {
        if (us == null || us.address() == 0) {
            return null;
        }
        MemorySegment s = io.res(us.address(), UNICODE_STRING.X64.size());
        int length = Short.toUnsignedInt(s.get(JAVA_SHORT, UNICODE_STRING.LENGTH_OFFSET));
        int max = Short.toUnsignedInt(s.get(JAVA_SHORT, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET));
        long buffer = s.get(JAVA_LONG, UNICODE_STRING.BUFFER_OFFSET);
        if ((length & 1) != 0 || length > max || (length > 0 && buffer == 0) || length == 0) {
            throw new IoFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": the name's UNICODE_STRING has Length " + length
                    + ", MaximumLength " + max + ", Buffer 0x" + Long.toHexString(buffer));
        }
        MemorySegment chars = io.space.resolve(buffer, length);
        char[] c = new char[length / 2];
        for (int i = 0; i < c.length; i++) {
            c[i] = chars.get(JAVA_CHAR_UNALIGNED, 2L * i);
        }
        return new String(c);
    }

    /**
     * A new object of {@code type} with a zeroed body of {@code bodySize} bytes and one reference (the
     * caller's); named {@code name} when not null, its kernel handle then stored in {@code handle[0]}.
     *
     * @throws IoFailure STATUS_OBJECT_NAME_COLLISION, STATUS_INSUFFICIENT_RESOURCES, ...
     */
    static long create(IoManager io, ObjectType type, String name, long bodySize, long[] handle, String routine) {
        if (name == null) {
            long body = io.ob.createObject(type, ObjectAttributes.OBJ_KERNEL_HANDLE, bodySize);
            if (body == 0) {
                throw new IoFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the object");
            }
            return body;
        }
        if (name.length() > 0x7FFF || !name.startsWith("\\")) {
            throw new IoFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": name '" + name + "' is not an absolute object name");
        }
        long scratch = io.pool.allocate(CHARS + 2L * name.length(), TAG_NAME, 0);
        if (scratch == 0) {
            throw new IoFailure(NtStatus.STATUS_INSUFFICIENT_RESOURCES, routine + ": no pool for the name");
        }
        try {
            MemorySegment s = io.space.resolve(scratch, CHARS + 2L * name.length());
            for (int i = 0; i < name.length(); i++) {
                s.set(JAVA_CHAR_UNALIGNED, CHARS + 2L * i, name.charAt(i));
            }
            s.set(JAVA_SHORT, US + UNICODE_STRING.LENGTH_OFFSET, (short) (2 * name.length()));
            s.set(JAVA_SHORT, US + UNICODE_STRING.MAXIMUM_LENGTH_OFFSET, (short) (2 * name.length()));
            s.set(JAVA_LONG, US + UNICODE_STRING.BUFFER_OFFSET, scratch + CHARS);
            s.set(java.lang.foreign.ValueLayout.JAVA_INT, OA + OBJECT_ATTRIBUTES.LENGTH_OFFSET, (int) OBJECT_ATTRIBUTES.X64.size());
            s.set(JAVA_LONG, OA + OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET, scratch + US);
            s.set(java.lang.foreign.ValueLayout.JAVA_INT, OA + OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET,
                    ObjectAttributes.OBJ_KERNEL_HANDLE | ObjectAttributes.OBJ_CASE_INSENSITIVE);
            int st = ObRoutines.createObject(io.ob, ObjectManager.KernelMode, type.segment(), s.asSlice(OA, OBJECT_ATTRIBUTES.X64.size()),
                    ObjectManager.KernelMode, bodySize, s.asSlice(OUT_OBJECT, 8));
            if (!NtStatus.NT_SUCCESS(st)) {
                throw new IoFailure(st, routine + ": ObCreateObject failed");
            }
            long body = s.get(JAVA_LONG, OUT_OBJECT);
            io.ob.reference(body); // the caller's reference; ObInsertObject turns the creation reference into the handle's
            st = ObRoutines.insertObject(io.ob, MemorySegment.ofAddress(body), MemorySegment.NULL, 0, 0, MemorySegment.NULL,
                    s.asSlice(OUT_HANDLE, 8));
            if (!NtStatus.NT_SUCCESS(st) || st == NtStatus.STATUS_OBJECT_NAME_EXISTS) {
                io.ob.dereference(body);
                throw new IoFailure(st == NtStatus.STATUS_OBJECT_NAME_EXISTS ? NtStatus.STATUS_OBJECT_NAME_COLLISION : st,
                        routine + ": the name '" + name + "' could not be entered");
            }
            handle[0] = s.get(JAVA_LONG, OUT_HANDLE);
            return body;
        } finally {
            io.pool.free(scratch, TAG_NAME);
        }
    }

    /** Closes a name-keeping kernel handle. */
    static void close(IoManager io, long handle, String routine) {
        ObRoutines.close(io.ob, handle, ObjectManager.KernelMode, routine);
    }
}
