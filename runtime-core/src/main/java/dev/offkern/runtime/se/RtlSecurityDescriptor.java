package dev.offkern.runtime.se;

import static dev.offkern.runtime.se.SecurityBuffer.POINTER;
import static dev.offkern.runtime.se.SecurityBuffer.UCHAR;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.GENERIC_MAPPING;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.nt.NtStatus;
import java.lang.foreign.MemorySegment;

/**
 * Security descriptor routines on the absolute form (SECURITY_DESCRIPTOR: pointers) and, for reading,
 * the self-relative form (SECURITY_DESCRIPTOR_RELATIVE: offsets from the descriptor, SE_SELF_RELATIVE
 * in Control): {@code RtlCreateSecurityDescriptor}, {@code RtlSet/Get{Dacl,Owner,Group}SecurityDescriptor},
 * {@code RtlLengthSecurityDescriptor}, and {@code RtlMapGenericMask}.
 *
 * <p>Statuses as Windows: STATUS_UNKNOWN_REVISION when Revision is not SECURITY_DESCRIPTOR_REVISION (1);
 * STATUS_INVALID_SECURITY_DESCR when a Set routine is given a self-relative descriptor. The Get routines
 * compute the component's address (pointer, or descriptor + offset) without reading it. RtlLengthSecurityDescriptor
 * reads the components: an absolute descriptor's pointers are resolved through the address space (0x50
 * for a wild one); a self-relative descriptor's offsets must lie inside its buffer (an
 * IllegalArgumentException naming the offset otherwise: the routine has no failure status).
 *
 * <p>Progress: wait-free, allocation-free; callers serialize writers of a descriptor.
 */
public final class RtlSecurityDescriptor {

    public static final int SECURITY_DESCRIPTOR_REVISION = 1;
    public static final int SE_OWNER_DEFAULTED = 0x0001;
    public static final int SE_GROUP_DEFAULTED = 0x0002;
    public static final int SE_DACL_PRESENT = 0x0004;
    public static final int SE_DACL_DEFAULTED = 0x0008;
    public static final int SE_SACL_PRESENT = 0x0010;
    public static final int SE_SELF_RELATIVE = 0x8000;
    public static final int GENERIC_READ = 0x80000000;
    public static final int GENERIC_WRITE = 0x40000000;
    public static final int GENERIC_EXECUTE = 0x20000000;
    public static final int GENERIC_ALL = 0x10000000;

    private static final long REVISION = SECURITY_DESCRIPTOR.REVISION_OFFSET;
    private static final long CONTROL = SECURITY_DESCRIPTOR.CONTROL_OFFSET;
    private static final long ABSOLUTE_SIZE = SECURITY_DESCRIPTOR.LAYOUT.byteSize();
    private static final long RELATIVE_SIZE = SECURITY_DESCRIPTOR_RELATIVE.LAYOUT.byteSize();
    private static final long ACL_SIZE = ACL.ACL_SIZE_OFFSET;

    /** A component: its absolute-form pointer field, its self-relative offset field, and its Control bits. */
    enum Part {
        OWNER(SECURITY_DESCRIPTOR.OWNER_OFFSET, SECURITY_DESCRIPTOR_RELATIVE.OWNER_OFFSET, 0, SE_OWNER_DEFAULTED, true),
        GROUP(SECURITY_DESCRIPTOR.GROUP_OFFSET, SECURITY_DESCRIPTOR_RELATIVE.GROUP_OFFSET, 0, SE_GROUP_DEFAULTED, true),
        SACL(SECURITY_DESCRIPTOR.SACL_OFFSET, SECURITY_DESCRIPTOR_RELATIVE.SACL_OFFSET, SE_SACL_PRESENT, 0, false),
        DACL(SECURITY_DESCRIPTOR.DACL_OFFSET, SECURITY_DESCRIPTOR_RELATIVE.DACL_OFFSET, SE_DACL_PRESENT, SE_DACL_DEFAULTED, false);

        final long absolute;
        final long relative;
        final int present;
        final int defaulted;
        final boolean sid;

        Part(long absolute, long relative, int present, int defaulted, boolean sid) {
            this.absolute = absolute;
            this.relative = relative;
            this.present = present;
            this.defaulted = defaulted;
            this.sid = sid;
        }
    }

    private RtlSecurityDescriptor() {
    }

    static MemorySegment header(MemorySegment sd, String routine) {
        MemorySegment b = SecurityBuffer.of(sd, routine, "SecurityDescriptor");
        if (b.byteSize() < RELATIVE_SIZE) {
            throw new IllegalArgumentException(routine + ": SecurityDescriptor is a buffer of " + b.byteSize()
                    + " bytes; a descriptor needs at least " + RELATIVE_SIZE);
        }
        return b;
    }

    static int control(MemorySegment b) {
        return Short.toUnsignedInt(b.get(USHORT, CONTROL));
    }

    static boolean selfRelative(MemorySegment b) {
        return (control(b) & SE_SELF_RELATIVE) != 0;
    }

    static void needAbsolute(MemorySegment b, String routine) {
        if (b.byteSize() < ABSOLUTE_SIZE) {
            throw new IllegalArgumentException(routine + ": SecurityDescriptor is a buffer of " + b.byteSize()
                    + " bytes; SECURITY_DESCRIPTOR needs " + ABSOLUTE_SIZE);
        }
    }

    /** {@code NTSTATUS RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Revision)}. */
    public static int create(MemorySegment sd, int revision) {
        MemorySegment b = SecurityBuffer.of(sd, "RtlCreateSecurityDescriptor", "SecurityDescriptor");
        if (revision != SECURITY_DESCRIPTOR_REVISION) {
            return NtStatus.STATUS_UNKNOWN_REVISION;
        }
        needAbsolute(b, "RtlCreateSecurityDescriptor");
        b.asSlice(0, ABSOLUTE_SIZE).fill((byte) 0);
        b.set(UCHAR, REVISION, (byte) SECURITY_DESCRIPTOR_REVISION);
        return NtStatus.STATUS_SUCCESS;
    }

    private static int set(String routine, MemorySegment sd, Part part, boolean present, long pointer, boolean defaulted) {
        MemorySegment b = header(sd, routine);
        if (b.get(UCHAR, REVISION) != SECURITY_DESCRIPTOR_REVISION) {
            return NtStatus.STATUS_UNKNOWN_REVISION;
        }
        if (selfRelative(b)) {
            return NtStatus.STATUS_INVALID_SECURITY_DESCR;
        }
        needAbsolute(b, routine);
        int control = control(b) & ~(part.present | part.defaulted);
        if (present) {
            control |= part.present | (defaulted ? part.defaulted : 0);
            b.set(POINTER, part.absolute, pointer);
        } else if (part.present != 0) {
            b.set(POINTER, part.absolute, 0L);     // DaclPresent FALSE: no DACL at all
        }
        b.set(USHORT, CONTROL, (short) control);
        return NtStatus.STATUS_SUCCESS;
    }

    /** The component's address: the absolute pointer, or descriptor + offset (0 for none). */
    static long address(MemorySegment b, Part part) {
        if (selfRelative(b)) {
            long offset = Integer.toUnsignedLong(b.get(ULONG, part.relative));
            return offset == 0 ? 0 : b.address() + offset;
        }
        return b.get(POINTER, part.absolute);
    }

    private static int get(String routine, MemorySegment sd, Part part, MemorySegment present, MemorySegment pointer,
                           MemorySegment defaulted) {
        MemorySegment b = header(sd, routine);
        if (b.get(UCHAR, REVISION) != SECURITY_DESCRIPTOR_REVISION) {
            return NtStatus.STATUS_UNKNOWN_REVISION;
        }
        if (!selfRelative(b)) {
            needAbsolute(b, routine);
        }
        int control = control(b);
        boolean isPresent = part.present == 0 || (control & part.present) != 0;
        if (present != null) {
            out(present, 1, routine).set(UCHAR, 0, (byte) (isPresent ? 1 : 0));
        }
        if (isPresent) {
            out(pointer, 8, routine).set(POINTER, 0, address(b, part));
            out(defaulted, 1, routine).set(UCHAR, 0, (byte) ((control & part.defaulted) != 0 ? 1 : 0));
        }
        return NtStatus.STATUS_SUCCESS;
    }

    static MemorySegment out(MemorySegment p, long bytes, String routine) {
        MemorySegment o = SecurityBuffer.of(p, routine, "out parameter");
        if (o.byteSize() < bytes) {
            throw new IllegalArgumentException(routine + ": an out parameter is a buffer of " + o.byteSize()
                    + " bytes; it needs " + bytes);
        }
        return o;
    }

    public static int setDacl(MemorySegment sd, boolean present, MemorySegment dacl, boolean defaulted) {
        return set("RtlSetDaclSecurityDescriptor", sd, Part.DACL, present, dacl == null ? 0 : dacl.address(), defaulted);
    }

    public static int setOwner(MemorySegment sd, MemorySegment owner, boolean defaulted) {
        return set("RtlSetOwnerSecurityDescriptor", sd, Part.OWNER, true, owner == null ? 0 : owner.address(), defaulted);
    }

    public static int setGroup(MemorySegment sd, MemorySegment group, boolean defaulted) {
        return set("RtlSetGroupSecurityDescriptor", sd, Part.GROUP, true, group == null ? 0 : group.address(), defaulted);
    }

    public static int getDacl(MemorySegment sd, MemorySegment present, MemorySegment dacl, MemorySegment defaulted) {
        return get("RtlGetDaclSecurityDescriptor", sd, Part.DACL, present, dacl, defaulted);
    }

    public static int getOwner(MemorySegment sd, MemorySegment owner, MemorySegment defaulted) {
        return get("RtlGetOwnerSecurityDescriptor", sd, Part.OWNER, null, owner, defaulted);
    }

    public static int getGroup(MemorySegment sd, MemorySegment group, MemorySegment defaulted) {
        return get("RtlGetGroupSecurityDescriptor", sd, Part.GROUP, null, group, defaulted);
    }

    /**
     * {@code ULONG RtlLengthSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)}: the header
     * (40 absolute on x64, 20 self-relative) plus each present component (SID length, AclSize), each
     * rounded up to a multiple of 4.
     */
    public static int length(MemorySegment sd) {
        String routine = "RtlLengthSecurityDescriptor";
        MemorySegment b = header(sd, routine);
        boolean relative = selfRelative(b);
        if (!relative) {
            needAbsolute(b, routine);
        }
        long total = relative ? RELATIVE_SIZE : ABSOLUTE_SIZE;
        int control = control(b);
        for (Part part : Part.values()) {
            if (part.present != 0 && (control & part.present) == 0) {
                continue;
            }
            long address = address(b, part);
            if (address == 0) {
                continue;
            }
            MemorySegment at;
            if (relative) {
                long offset = address - b.address();
                if (offset + (part.sid ? 2 : 4) > b.byteSize()) {
                    throw new IllegalArgumentException(routine + ": the " + part + " offset 0x" + Long.toHexString(offset)
                            + " lies outside the " + b.byteSize() + "-byte descriptor");
                }
                at = b.asSlice(offset);
            } else {
                at = SecurityBuffer.at(address, part.sid ? 2 : 4, false);
            }
            long size = part.sid ? RtlSid.lengthFor(Byte.toUnsignedInt(at.get(UCHAR, SID.SUB_AUTHORITY_COUNT_OFFSET)))
                    : Short.toUnsignedLong(at.get(USHORT, ACL_SIZE));
            total += (size + 3) & ~3L;
        }
        return (int) total;
    }

    /**
     * {@code BOOLEAN RtlValidRelativeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptorInput,
     * ULONG SecurityDescriptorLength, SECURITY_INFORMATION RequiredInformation)}: the parser of untrusted
     * self-relative descriptors. TRUE only if the descriptor fits in min(SecurityDescriptorLength, buffer),
     * has revision 1 and SE_SELF_RELATIVE, every nonzero offset is a multiple of 4 inside that length with
     * a valid SID or ACL wholly inside it, and each component RequiredInformation names (OWNER 1, GROUP 2,
     * DACL 4, SACL 8) is present. Never reads outside the buffer.
     */
    public static boolean validRelative(MemorySegment sd, int length, int requiredInformation) {
        MemorySegment b = SecurityBuffer.find(sd, "RtlValidRelativeSecurityDescriptor", "SecurityDescriptorInput");
        if (b == null) {
            return false;
        }
        long limit = Math.min(Integer.toUnsignedLong(length), b.byteSize());
        if (limit < RELATIVE_SIZE || b.get(UCHAR, REVISION) != SECURITY_DESCRIPTOR_REVISION || !selfRelative(b)) {
            return false;
        }
        MemorySegment d = b.asSlice(0, limit);
        int control = control(d);
        int[] required = {1, 2, 8, 4};      // OWNER, GROUP, SACL, DACL in Part order
        for (Part part : Part.values()) {
            long offset = Integer.toUnsignedLong(d.get(ULONG, part.relative));
            boolean present = (part.present == 0 || (control & part.present) != 0) && offset != 0;
            if ((requiredInformation & required[part.ordinal()]) != 0 && !present
                    && (part.sid || (control & part.present) == 0)) {
                return false;
            }
            if (offset == 0) {
                continue;
            }
            if ((offset & 3) != 0 || offset < RELATIVE_SIZE || offset >= limit) {
                return false;
            }
            MemorySegment at = d.asSlice(offset);
            if (part.sid ? !RtlSid.validIn(at) : !RtlAcl.validIn(at)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code VOID RtlMapGenericMask(PACCESS_MASK AccessMask, PGENERIC_MAPPING GenericMapping)}: each
     * GENERIC_* bit set in the mask adds the mapping's rights for it; the four generic bits are cleared.
     */
    public static void mapGenericMask(MemorySegment accessMask, MemorySegment genericMapping) {
        MemorySegment m = out(accessMask, 4, "RtlMapGenericMask");
        MemorySegment g = SecurityBuffer.of(genericMapping, "RtlMapGenericMask", "GenericMapping");
        if (g.byteSize() < GENERIC_MAPPING.LAYOUT.byteSize()) {
            throw new IllegalArgumentException("RtlMapGenericMask: GenericMapping is a buffer of " + g.byteSize()
                    + " bytes; GENERIC_MAPPING needs " + GENERIC_MAPPING.LAYOUT.byteSize());
        }
        int mask = m.get(ULONG, 0);
        int mapped = mask;
        if ((mask & GENERIC_READ) != 0) {
            mapped |= g.get(ULONG, GENERIC_MAPPING.GENERIC_READ_OFFSET);
        }
        if ((mask & GENERIC_WRITE) != 0) {
            mapped |= g.get(ULONG, GENERIC_MAPPING.GENERIC_WRITE_OFFSET);
        }
        if ((mask & GENERIC_EXECUTE) != 0) {
            mapped |= g.get(ULONG, GENERIC_MAPPING.GENERIC_EXECUTE_OFFSET);
        }
        if ((mask & GENERIC_ALL) != 0) {
            mapped |= g.get(ULONG, GENERIC_MAPPING.GENERIC_ALL_OFFSET);
        }
        m.set(ULONG, 0, mapped & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL));
    }
}
