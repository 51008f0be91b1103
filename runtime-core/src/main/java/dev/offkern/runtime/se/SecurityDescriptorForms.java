package dev.offkern.runtime.se;

import static dev.offkern.runtime.se.SecurityBuffer.POINTER;
import static dev.offkern.runtime.se.SecurityBuffer.UCHAR;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.nt.NtStatus;
import dev.offkern.runtime.se.RtlSecurityDescriptor.Part;
import java.lang.foreign.MemorySegment;

/**
 * The two forms of a security descriptor and the routines that move between them or judge one:
 * {@code RtlAbsoluteToSelfRelativeSD}, {@code RtlSelfRelativeToAbsoluteSD} and
 * {@code RtlValidSecurityDescriptor}.
 *
 * <p>Windows' layout of a self-relative result: the 20-byte header, then the SACL, the DACL, the
 * owner and the group, each at an offset that is a multiple of 4, each padded with zeros to a
 * multiple of 4; absent components have offset 0. A present NULL DACL (SE_DACL_PRESENT with no
 * ACL) stays a NULL DACL in either form. Sizes reported back through the PULONG parameters are the
 * 4-byte-rounded sizes Windows reports.
 *
 * <p>Bounds: a component is read only when it lies wholly inside the memory that holds it (the
 * caller's sized segment, or the live block or registered region behind a raw pointer). An absolute
 * descriptor's wild component pointer is bug check 0x50 in the conversions (as the fault would be on
 * Windows) and FALSE in the validity test (Windows catches the fault there); a component that runs
 * past its memory is STATUS_INVALID_SID / STATUS_INVALID_ACL (absolute input) or
 * STATUS_INVALID_SECURITY_DESCR (self-relative input, whose offsets lie outside its buffer). An output
 * buffer smaller than its size parameter claims is an IllegalArgumentException naming both sizes:
 * the routine writes nothing then.
 *
 * <p>Progress: wait-free, no allocation; callers serialize writers of the buffers involved.
 */
public final class SecurityDescriptorForms {

    private static final long RELATIVE_SIZE = SECURITY_DESCRIPTOR_RELATIVE.LAYOUT.byteSize();
    private static final long ABSOLUTE_SIZE = SECURITY_DESCRIPTOR.LAYOUT.byteSize();
    private static final long SID_HEADER = SID.SUB_AUTHORITY_OFFSET;
    private static final long ACL_HEADER = ACL.LAYOUT.byteSize();
    /** Part.values(), cloned once. */
    private static final Part[] PARTS = Part.values();
    /** Windows' order of the components in a self-relative result. */
    private static final Part[] RELATIVE_ORDER = {Part.SACL, Part.DACL, Part.OWNER, Part.GROUP};

    /** What {@link #component} returns for a component the descriptor does not have. */
    private static final MemorySegment ABSENT = MemorySegment.ofArray(new byte[0]);

    private SecurityDescriptorForms() {
    }

    /**
     * The exact bytes of {@code part} of descriptor {@code b} (SID length or AclSize), {@link #ABSENT}
     * when the descriptor has none, or null when it does not lie wholly inside readable memory.
     *
     * @param wildIsFault whether an absolute pointer to no memory is 0x50 (conversions) or null (validity)
     */
    static MemorySegment component(MemorySegment b, Part part, boolean wildIsFault, String routine) {
        int control = RtlSecurityDescriptor.control(b);
        if (part.present != 0 && (control & part.present) == 0) {
            return ABSENT;
        }
        long address = RtlSecurityDescriptor.address(b, part);
        if (address == 0) {
            return ABSENT;
        }
        MemorySegment at;
        if (RtlSecurityDescriptor.selfRelative(b)) {
            long offset = address - b.address();
            if (offset < 0 || offset >= b.byteSize()) {
                return null;
            }
            // One slice, exactly the component (the lengths read from b at offset): what the checks
            // below do on an intermediate slice, without allocating it.
            long room = b.byteSize() - offset;
            long header = part.sid ? SID_HEADER : ACL_HEADER;
            if (room < header) {
                return null;
            }
            long length = part.sid ? RtlSid.lengthFor(Byte.toUnsignedInt(b.get(UCHAR, offset + SID.SUB_AUTHORITY_COUNT_OFFSET)))
                    : Short.toUnsignedLong(b.get(USHORT, offset + ACL.ACL_SIZE_OFFSET));
            if (length < header || length > room) {
                return null;
            }
            return b.asSlice(offset, length);
        } else {
            MemorySegment raw = MemorySegment.ofAddress(address);
            at = wildIsFault ? SecurityBuffer.of(raw, routine, part.name()) : SecurityBuffer.find(raw, routine, part.name());
            if (at == null) {
                return null;
            }
        }
        long header = part.sid ? SID_HEADER : ACL_HEADER;
        if (at.byteSize() < header) {
            return null;
        }
        long length = part.sid ? RtlSid.lengthFor(Byte.toUnsignedInt(at.get(UCHAR, SID.SUB_AUTHORITY_COUNT_OFFSET)))
                : Short.toUnsignedLong(at.get(USHORT, ACL.ACL_SIZE_OFFSET));
        if (length < header || length > at.byteSize()) {
            return null;
        }
        return at.asSlice(0, length);
    }

    /** Whether {@link #component} found no such component in the descriptor. */
    static boolean absent(MemorySegment component) {
        return component == ABSENT;
    }

    private static long rounded(MemorySegment component) {
        return (component.byteSize() + 3) & ~3L;
    }

    private static int unreadable(Part part, boolean relativeInput) {
        if (relativeInput) {
            return NtStatus.STATUS_INVALID_SECURITY_DESCR;
        }
        return part.sid ? NtStatus.STATUS_INVALID_SID : NtStatus.STATUS_INVALID_ACL;
    }

    /**
     * {@code BOOLEAN RtlValidSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)}: revision 1,
     * and every component present (owner, group, a present non-NULL DACL or SACL) is a valid SID or
     * ACL lying wholly inside its memory. Either form. FALSE, never a fault, for NULL or unmapped
     * memory (Windows catches the fault).
     */
    public static boolean valid(MemorySegment sd) {
        return valid(sd, null);
    }

    /**
     * {@link #valid(MemorySegment)}, keeping the components it found in {@code components} (by
     * {@code Part.ordinal()}: the exact bytes, or null for none / a NULL ACL) when it is not null.
     */
    static boolean valid(MemorySegment sd, MemorySegment[] components) {
        String routine = "RtlValidSecurityDescriptor";
        MemorySegment b = SecurityBuffer.find(sd, routine, "SecurityDescriptor");
        if (b == null || b.byteSize() < RELATIVE_SIZE
                || b.get(UCHAR, SECURITY_DESCRIPTOR.REVISION_OFFSET) != RtlSecurityDescriptor.SECURITY_DESCRIPTOR_REVISION) {
            return false;
        }
        if (!RtlSecurityDescriptor.selfRelative(b) && b.byteSize() < ABSOLUTE_SIZE) {
            return false;
        }
        for (Part part : PARTS) {
            MemorySegment c = component(b, part, false, routine);
            if (c == null) {
                return false;
            }
            if (c != ABSENT && !(part.sid ? RtlSid.validIn(c) : RtlAcl.validIn(c))) {
                return false;
            }
            if (components != null) {
                components[part.ordinal()] = c == ABSENT ? null : c;
            }
        }
        return true;
    }

    /**
     * {@code NTSTATUS RtlAbsoluteToSelfRelativeSD(PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor,
     * PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor, PULONG BufferLength)}: STATUS_BAD_DESCRIPTOR_FORMAT
     * for a self-relative input; STATUS_BUFFER_TOO_SMALL with the size needed in *BufferLength when the
     * buffer is too small (the buffer may then be NULL: the usual size query); else the copy.
     */
    public static int absoluteToSelfRelative(MemorySegment absolute, MemorySegment selfRelative, MemorySegment bufferLength) {
        String routine = "RtlAbsoluteToSelfRelativeSD";
        MemorySegment a = RtlSecurityDescriptor.header(absolute, routine);
        if (RtlSecurityDescriptor.selfRelative(a)) {
            return NtStatus.STATUS_BAD_DESCRIPTOR_FORMAT;
        }
        RtlSecurityDescriptor.needAbsolute(a, routine);
        MemorySegment length = RtlSecurityDescriptor.out(bufferLength, 4, routine);
        MemorySegment sacl = component(a, Part.SACL, true, routine);
        MemorySegment dacl = component(a, Part.DACL, true, routine);
        MemorySegment owner = component(a, Part.OWNER, true, routine);
        MemorySegment group = component(a, Part.GROUP, true, routine);
        MemorySegment[] parts = {sacl, dacl, owner, group};
        long required = RELATIVE_SIZE;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i] == null) {
                return unreadable(RELATIVE_ORDER[i], false);
            }
            required += rounded(parts[i]);
        }
        long capacity = Integer.toUnsignedLong(length.get(ULONG, 0));
        if (required > capacity) {
            length.set(ULONG, 0, (int) required);
            return NtStatus.STATUS_BUFFER_TOO_SMALL;
        }
        MemorySegment out = SecurityBuffer.of(selfRelative, routine, "SelfRelativeSecurityDescriptor");
        if (out.byteSize() < required) {
            throw new IllegalArgumentException(routine + ": SelfRelativeSecurityDescriptor is a buffer of " + out.byteSize()
                    + " bytes, but BufferLength says " + capacity + " and the descriptor needs " + required);
        }
        int control = RtlSecurityDescriptor.control(a) | RtlSecurityDescriptor.SE_SELF_RELATIVE;
        byte revision = a.get(UCHAR, SECURITY_DESCRIPTOR.REVISION_OFFSET);
        byte sbz1 = a.get(UCHAR, SECURITY_DESCRIPTOR.SBZ1_OFFSET);
        out.asSlice(0, RELATIVE_SIZE).fill((byte) 0);
        out.set(UCHAR, SECURITY_DESCRIPTOR_RELATIVE.REVISION_OFFSET, revision);
        out.set(UCHAR, SECURITY_DESCRIPTOR_RELATIVE.SBZ1_OFFSET, sbz1);
        out.set(USHORT, SECURITY_DESCRIPTOR_RELATIVE.CONTROL_OFFSET, (short) control);
        long at = RELATIVE_SIZE;
        for (int i = 0; i < parts.length; i++) {
            MemorySegment c = parts[i];
            if (c == ABSENT) {
                continue;
            }
            long size = rounded(c);
            MemorySegment.copy(c, 0, out, at, c.byteSize());
            out.asSlice(at + c.byteSize(), size - c.byteSize()).fill((byte) 0);
            out.set(ULONG, RELATIVE_ORDER[i].relative, (int) at);
            at += size;
        }
        return NtStatus.STATUS_SUCCESS;
    }

    /** One output component of {@link #selfRelativeToAbsolute}: its buffer and its PULONG size. */
    private record Target(MemorySegment buffer, MemorySegment size, String name) {
    }

    /**
     * {@code NTSTATUS RtlSelfRelativeToAbsoluteSD(PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor,
     * PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor, PULONG AbsoluteSecurityDescriptorSize, PACL Dacl,
     * PULONG DaclSize, PACL Sacl, PULONG SaclSize, PSID Owner, PULONG OwnerSize, PSID PrimaryGroup,
     * PULONG PrimaryGroupSize)}: STATUS_BAD_DESCRIPTOR_FORMAT for an absolute input; when any of the five
     * buffers is too small, STATUS_BUFFER_TOO_SMALL with all five sizes set to what is needed; else the
     * absolute descriptor, its pointers to the copies in the caller's four buffers.
     */
    public static int selfRelativeToAbsolute(MemorySegment selfRelative, MemorySegment absolute, MemorySegment absoluteSize,
                                             MemorySegment dacl, MemorySegment daclSize, MemorySegment sacl,
                                             MemorySegment saclSize, MemorySegment owner, MemorySegment ownerSize,
                                             MemorySegment group, MemorySegment groupSize) {
        String routine = "RtlSelfRelativeToAbsoluteSD";
        MemorySegment r = RtlSecurityDescriptor.header(selfRelative, routine);
        if (!RtlSecurityDescriptor.selfRelative(r)) {
            return NtStatus.STATUS_BAD_DESCRIPTOR_FORMAT;
        }
        MemorySegment bodySize = RtlSecurityDescriptor.out(absoluteSize, 4, routine);
        Part[] order = {Part.DACL, Part.SACL, Part.OWNER, Part.GROUP};
        Target[] targets = {new Target(dacl, daclSize, "Dacl"), new Target(sacl, saclSize, "Sacl"),
                new Target(owner, ownerSize, "Owner"), new Target(group, groupSize, "PrimaryGroup")};
        MemorySegment[] parts = new MemorySegment[order.length];
        MemorySegment[] sizes = new MemorySegment[order.length];
        boolean tooSmall = ABSOLUTE_SIZE > Integer.toUnsignedLong(bodySize.get(ULONG, 0));
        for (int i = 0; i < order.length; i++) {
            parts[i] = component(r, order[i], false, routine);
            if (parts[i] == null) {
                return unreadable(order[i], true);
            }
            sizes[i] = RtlSecurityDescriptor.out(targets[i].size(), 4, routine);
            long need = parts[i] == ABSENT ? 0 : rounded(parts[i]);
            tooSmall |= need > Integer.toUnsignedLong(sizes[i].get(ULONG, 0));
        }
        if (tooSmall) {
            bodySize.set(ULONG, 0, (int) ABSOLUTE_SIZE);
            for (int i = 0; i < order.length; i++) {
                sizes[i].set(ULONG, 0, (int) (parts[i] == ABSENT ? 0 : rounded(parts[i])));
            }
            return NtStatus.STATUS_BUFFER_TOO_SMALL;
        }
        // Resolve and size-check every output before the first write: a refused call writes nothing.
        MemorySegment out = SecurityBuffer.of(absolute, routine, "AbsoluteSecurityDescriptor");
        if (out.byteSize() < ABSOLUTE_SIZE) {
            throw new IllegalArgumentException(routine + ": AbsoluteSecurityDescriptor is a buffer of " + out.byteSize()
                    + " bytes; SECURITY_DESCRIPTOR needs " + ABSOLUTE_SIZE);
        }
        MemorySegment[] buffers = new MemorySegment[order.length];
        for (int i = 0; i < order.length; i++) {
            if (parts[i] == ABSENT) {
                continue;
            }
            buffers[i] = SecurityBuffer.of(targets[i].buffer(), routine, targets[i].name());
            if (buffers[i].byteSize() < parts[i].byteSize()) {
                throw new IllegalArgumentException(routine + ": " + targets[i].name() + " is a buffer of "
                        + buffers[i].byteSize() + " bytes, but its size parameter says "
                        + Integer.toUnsignedLong(sizes[i].get(ULONG, 0)) + " and the component needs " + parts[i].byteSize());
            }
        }
        byte revision = r.get(UCHAR, SECURITY_DESCRIPTOR_RELATIVE.REVISION_OFFSET);
        byte sbz1 = r.get(UCHAR, SECURITY_DESCRIPTOR_RELATIVE.SBZ1_OFFSET);
        int control = RtlSecurityDescriptor.control(r) & ~RtlSecurityDescriptor.SE_SELF_RELATIVE;
        for (int i = 0; i < order.length; i++) {
            if (parts[i] != ABSENT) {
                MemorySegment.copy(parts[i], 0, buffers[i], 0, parts[i].byteSize());
            }
        }
        out.asSlice(0, ABSOLUTE_SIZE).fill((byte) 0);
        out.set(UCHAR, SECURITY_DESCRIPTOR.REVISION_OFFSET, revision);
        out.set(UCHAR, SECURITY_DESCRIPTOR.SBZ1_OFFSET, sbz1);
        out.set(USHORT, SECURITY_DESCRIPTOR.CONTROL_OFFSET, (short) control);
        for (int i = 0; i < order.length; i++) {
            if (parts[i] != ABSENT) {
                out.set(POINTER, order[i].absolute, buffers[i].address());
            }
        }
        return NtStatus.STATUS_SUCCESS;
    }
}
