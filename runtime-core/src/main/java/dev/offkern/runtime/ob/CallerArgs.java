package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.layout.ob.OBJECT_ATTRIBUTES;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.mm.AddressSpace;
import java.lang.foreign.MemorySegment;

/**
 * Reads the caller's structures (OBJECT_ATTRIBUTES, UNICODE_STRING) and writes its out parameters
 * (PHANDLE, PVOID *), bounded: a segment with room is used as given; a zero-length segment (a raw
 * address, as native callers pass) is resolved in the kernel's address space, so an address no
 * region holds is PAGE_FAULT_IN_NONPAGED_AREA (0x50), as a kernel-mode caller's bad pointer is on
 * Windows. Stateless.
 */
final class CallerArgs {
    private CallerArgs() {
    }

    /** What an OBJECT_ATTRIBUTES said: the name (null if none), the OBJ_* attributes, the security descriptor. */
    record Attributes(String name, int attributes, long securityDescriptor) {
        static final Attributes NONE = new Attributes(null, 0, 0);
    }

    static boolean isNull(MemorySegment s) {
        return s == null || s.address() == 0;
    }

    static MemorySegment bounded(AddressSpace space, MemorySegment s, long size) {
        if (s.byteSize() >= size) {
            return s;
        }
        if (s.byteSize() == 0) {
            return space.resolve(s.address(), size);
        }
        throw new IllegalArgumentException("segment of " + s.byteSize() + " bytes where " + size + " are needed");
    }

    /** Writes an 8-byte value (a handle or a pointer) to the caller's out parameter {@code name}. */
    static void writePointer(AddressSpace space, MemorySegment out, long value, String routine, String name) {
        if (isNull(out)) {
            throw new IllegalArgumentException(routine + ": " + name + " is NULL");
        }
        bounded(space, out, 8).set(JAVA_LONG_UNALIGNED, 0, value);
    }

    /** Reads OBJECT_ATTRIBUTES (NULL: no name, no attributes). */
    static Attributes attributes(AddressSpace space, MemorySegment oa, String routine) {
        if (isNull(oa)) {
            return Attributes.NONE;
        }
        MemorySegment s = bounded(space, oa, OBJECT_ATTRIBUTES.X64.size());
        int length = s.get(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.LENGTH_OFFSET);
        if (length != OBJECT_ATTRIBUTES.X64.size()) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": OBJECT_ATTRIBUTES.Length is " + length
                    + ", not sizeof(OBJECT_ATTRIBUTES) = " + OBJECT_ATTRIBUTES.X64.size());
        }
        if (s.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.ROOT_DIRECTORY_OFFSET) != 0) {
            throw new ObFailure(NtStatus.STATUS_INVALID_PARAMETER, routine + ": OBJECT_ATTRIBUTES.RootDirectory is not NULL"
                    + " (offkern has no directory objects: names are absolute)");
        }
        long namePtr = s.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.OBJECT_NAME_OFFSET);
        String name = namePtr == 0 ? null : unicodeString(space, namePtr, routine);
        return new Attributes(name, s.get(JAVA_INT_UNALIGNED, OBJECT_ATTRIBUTES.ATTRIBUTES_OFFSET),
                s.get(JAVA_LONG_UNALIGNED, OBJECT_ATTRIBUTES.SECURITY_DESCRIPTOR_OFFSET));
    }

    /** The text of the UNICODE_STRING at {@code address}; STATUS_OBJECT_NAME_INVALID for an odd or oversized Length. */
    static String unicodeString(AddressSpace space, long address, String routine) {
        MemorySegment us = space.resolve(address, UNICODE_STRING.X64.size());
        int length = Short.toUnsignedInt(us.get(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET));
        int max = Short.toUnsignedInt(us.get(JAVA_SHORT_UNALIGNED, UNICODE_STRING.MAXIMUM_LENGTH_OFFSET));
        long buffer = us.get(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET);
        if ((length & 1) != 0 || length > max || (length > 0 && buffer == 0)) {
            throw new ObFailure(NtStatus.STATUS_OBJECT_NAME_INVALID, routine + ": UNICODE_STRING Length " + length
                    + " / MaximumLength " + max + " / Buffer 0x" + Long.toHexString(buffer) + " is malformed");
        }
        if (length == 0) {
            return "";
        }
        MemorySegment chars = space.resolve(buffer, length);
        char[] c = new char[length / 2];
        for (int i = 0; i < c.length; i++) {
            c[i] = (char) ((chars.get(JAVA_BYTE, 2L * i) & 0xFF) | (chars.get(JAVA_BYTE, 2L * i + 1) << 8));
        }
        return new String(c);
    }
}
