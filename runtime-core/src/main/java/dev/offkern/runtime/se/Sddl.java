package dev.offkern.runtime.se;

import static dev.offkern.nt.Win32Error.ERROR_INVALID_PARAMETER;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_SECURITY_DESCR;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_SID;
import static dev.offkern.nt.Win32Error.ERROR_NOACCESS;
import static dev.offkern.nt.Win32Error.ERROR_NOT_ENOUGH_MEMORY;
import static dev.offkern.nt.Win32Error.ERROR_UNKNOWN_REVISION;
import static dev.offkern.runtime.se.SecurityBuffer.POINTER;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.nt.PoolType;
import dev.offkern.runtime.ke.ThreadState;
import dev.offkern.runtime.pool.Pools;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * advapi32's SDDL conversions with Win32 semantics: a BOOL result, and on failure the Win32 error in
 * the thread's last error ({@code RtlGetLastWin32Error}); on success the last error is left alone.
 * Strings are NUL-terminated UTF-16LE in native memory; an input string is read only up to its NUL
 * inside the memory holding it (no NUL there: ERROR_INVALID_PARAMETER). Results (a self-relative
 * descriptor, a SID, a string) are allocated in paged pool under tag 'Sddl' and freed with
 * {@code ExFreePool}. Every out pointer is checked before anything is allocated: NULL is
 * ERROR_INVALID_PARAMETER, unmapped memory ERROR_NOACCESS, a sized segment under 8 bytes (4 for a
 * PULONG) an IllegalArgumentException.
 *
 * <p>IRQL: PASSIVE_LEVEL (paged pool). Not a hot path: parsing builds its result on the heap, then
 * copies it into pool.
 */
public final class Sddl {

    /** SDDL_REVISION_1, the only revision. */
    public static final int SDDL_REVISION_1 = 1;
    /** The pool tag of every result ('Sddl'). */
    public static final int TAG = 'S' | 'd' << 8 | 'd' << 16 | 'l' << 24;

    private Sddl() {
    }

    /** A caller mistake the routine reports through the last error. */
    private static boolean fail(SddlException e) {
        ThreadState.current().setLastWin32Error(e.win32Error());
        return false;
    }

    /** The text of the NUL-terminated UTF-16LE string at {@code string}, bounded by its memory. */
    static String readString(MemorySegment string, String routine) throws SddlException {
        if (string == null || string.address() == 0 && string.byteSize() == 0) {
            throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": the string is NULL");
        }
        MemorySegment b = SecurityBuffer.find(string, routine, "string");
        if (b == null) {
            throw new SddlException(ERROR_NOACCESS, routine + ": the string points to no mapped memory");
        }
        StringBuilder s = new StringBuilder();
        for (long at = 0; at + 2 <= b.byteSize(); at += 2) {
            char c = (char) b.get(USHORT, at);
            if (c == 0) {
                return s.toString();
            }
            s.append(c);
        }
        throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": the string has no NUL inside its "
                + b.byteSize() + "-byte buffer");
    }

    /** The out parameter {@code p} (a PVOID* or PULONG of {@code bytes} bytes), checked; null when optional and NULL. */
    private static MemorySegment out(MemorySegment p, long bytes, boolean optional, String routine, String name)
            throws SddlException {
        if (p == null || p.address() == 0 && p.byteSize() == 0) {
            if (optional) {
                return null;
            }
            throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": " + name + " is NULL");
        }
        MemorySegment o = SecurityBuffer.find(p, routine, name);
        if (o == null) {
            throw new SddlException(ERROR_NOACCESS, routine + ": " + name + " points to no mapped memory");
        }
        if (o.byteSize() < bytes) {
            throw new IllegalArgumentException(routine + ": " + name + " is a buffer of " + o.byteSize() + " bytes; it needs "
                    + bytes);
        }
        return o;
    }

    private static MemorySegment allocate(Pools pools, long bytes) throws SddlException {
        MemorySegment block = pools.allocateWithTag(PoolType.PagedPool, bytes, TAG, false);
        if (block == null || block.address() == 0) {
            throw new SddlException(ERROR_NOT_ENOUGH_MEMORY, "the pool refused " + bytes + " bytes");
        }
        return block;
    }

    private static MemorySegment copyOut(Pools pools, byte[] bytes) throws SddlException {
        MemorySegment block = allocate(pools, bytes.length);
        MemorySegment.copy(bytes, 0, block, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return block;
    }

    private static MemorySegment stringOut(Pools pools, String text) throws SddlException {
        MemorySegment block = allocate(pools, 2L * text.length() + 2);
        for (int i = 0; i < text.length(); i++) {
            block.set(USHORT, 2L * i, (short) text.charAt(i));
        }
        block.set(USHORT, 2L * text.length(), (short) 0);
        return block;
    }

    /**
     * {@code BOOL ConvertStringSecurityDescriptorToSecurityDescriptorW(LPCWSTR StringSecurityDescriptor,
     * DWORD StringSDRevision, PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize)}.
     */
    public static boolean stringToDescriptor(MemorySegment string, int revision, MemorySegment descriptorOut,
                                             MemorySegment sizeOut, Pools pools) {
        String routine = "ConvertStringSecurityDescriptorToSecurityDescriptorW";
        try {
            String text = readString(string, routine);
            return stringToDescriptor(text, revision, descriptorOut, sizeOut, pools);
        } catch (SddlException e) {
            return fail(e);
        }
    }

    /** {@link #stringToDescriptor(MemorySegment, int, MemorySegment, MemorySegment, Pools)} from a Java string. */
    public static boolean stringToDescriptor(String text, int revision, MemorySegment descriptorOut, MemorySegment sizeOut,
                                             Pools pools) {
        String routine = "ConvertStringSecurityDescriptorToSecurityDescriptorW";
        try {
            if (text == null) {
                throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": the string is NULL");
            }
            MemorySegment sd = out(descriptorOut, 8, false, routine, "SecurityDescriptor");
            MemorySegment size = out(sizeOut, 4, true, routine, "SecurityDescriptorSize");
            if (revision != SDDL_REVISION_1) {
                throw new SddlException(ERROR_UNKNOWN_REVISION, routine + ": revision " + revision);
            }
            byte[] bytes = SddlParser.descriptor(text);
            MemorySegment block = copyOut(pools, bytes);
            sd.set(POINTER, 0, block.address());
            if (size != null) {
                size.set(ULONG, 0, bytes.length);
            }
            return true;
        } catch (SddlException e) {
            return fail(e);
        }
    }

    /**
     * {@code BOOL ConvertSecurityDescriptorToStringSecurityDescriptorW(PSECURITY_DESCRIPTOR SecurityDescriptor,
     * DWORD RequestedStringSDRevision, SECURITY_INFORMATION SecurityInformation, LPWSTR *StringSecurityDescriptor,
     * PULONG StringSecurityDescriptorLen)}: the length is in WCHARs including the NUL.
     */
    public static boolean descriptorToString(MemorySegment descriptor, int revision, int information,
                                             MemorySegment stringOut, MemorySegment lengthOut, Pools pools) {
        String routine = "ConvertSecurityDescriptorToStringSecurityDescriptorW";
        try {
            if (descriptor == null || descriptor.address() == 0 && descriptor.byteSize() == 0) {
                throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": SecurityDescriptor is NULL");
            }
            MemorySegment string = out(stringOut, 8, false, routine, "StringSecurityDescriptor");
            MemorySegment length = out(lengthOut, 4, true, routine, "StringSecurityDescriptorLen");
            if (revision != SDDL_REVISION_1) {
                throw new SddlException(ERROR_UNKNOWN_REVISION, routine + ": revision " + revision);
            }
            MemorySegment b = SecurityBuffer.find(descriptor, routine, "SecurityDescriptor");
            if (b == null) {
                throw new SddlException(ERROR_NOACCESS, routine + ": SecurityDescriptor points to no mapped memory");
            }
            if (b.byteSize() < 20 || !RtlSecurityDescriptor.selfRelative(b) && b.byteSize() < 40) {
                throw new SddlException(ERROR_INVALID_SECURITY_DESCR, routine + ": a descriptor in " + b.byteSize() + " bytes");
            }
            String text = SddlFormatter.descriptor(b, information);
            MemorySegment block = stringOut(pools, text);
            string.set(POINTER, 0, block.address());
            if (length != null) {
                length.set(ULONG, 0, text.length() + 1);
            }
            return true;
        } catch (SddlException e) {
            return fail(e);
        }
    }

    /** {@code BOOL ConvertStringSidToSidW(LPCWSTR StringSid, PSID *Sid)}: "S-1-..." or a two-letter alias. */
    public static boolean stringToSid(MemorySegment string, MemorySegment sidOut, Pools pools) {
        try {
            return stringToSid(readString(string, "ConvertStringSidToSidW"), sidOut, pools);
        } catch (SddlException e) {
            return fail(e);
        }
    }

    /** {@link #stringToSid(MemorySegment, MemorySegment, Pools)} from a Java string. */
    public static boolean stringToSid(String text, MemorySegment sidOut, Pools pools) {
        String routine = "ConvertStringSidToSidW";
        try {
            if (text == null) {
                throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": StringSid is NULL");
            }
            MemorySegment out = out(sidOut, 8, false, routine, "Sid");
            MemorySegment block = copyOut(pools, SddlParser.sid(text));
            out.set(POINTER, 0, block.address());
            return true;
        } catch (SddlException e) {
            return fail(e);
        }
    }

    /** {@code BOOL ConvertSidToStringSidW(PSID Sid, LPWSTR *StringSid)}: always "S-1-...", never an alias. */
    public static boolean sidToString(MemorySegment sid, MemorySegment stringOut, Pools pools) {
        String routine = "ConvertSidToStringSidW";
        try {
            if (sid == null || sid.address() == 0 && sid.byteSize() == 0) {
                throw new SddlException(ERROR_INVALID_PARAMETER, routine + ": Sid is NULL");
            }
            MemorySegment out = out(stringOut, 8, false, routine, "StringSid");
            MemorySegment b = SecurityBuffer.find(sid, routine, "Sid");
            if (!RtlSid.validIn(b)) {
                throw new SddlException(ERROR_INVALID_SID, routine + ": not a valid SID inside its memory");
            }
            MemorySegment block = stringOut(pools, RtlSid.format(b));
            out.set(POINTER, 0, block.address());
            return true;
        } catch (SddlException e) {
            return fail(e);
        }
    }
}
