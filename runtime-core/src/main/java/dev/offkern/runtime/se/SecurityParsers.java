package dev.offkern.runtime.se;

import dev.offkern.runtime.se.RtlSecurityDescriptor.Part;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The security run-time library's bounded parsers for the managers above it (the security
 * reference monitor: tokens, access checks, descriptor assignment): the same checks the Rtl routines
 * make, so a SID, ACL or descriptor read there is read only inside the memory that holds it.
 *
 * <p>Progress: wait-free, no allocation.
 */
public final class SecurityParsers {
    /** Little-endian field accessors (unaligned) for SIDs, ACLs and descriptors. */
    public static final ValueLayout.OfByte UCHAR = SecurityBuffer.UCHAR;
    public static final ValueLayout.OfShort USHORT = SecurityBuffer.USHORT;
    public static final ValueLayout.OfInt ULONG = SecurityBuffer.ULONG;
    public static final ValueLayout.OfLong POINTER = SecurityBuffer.POINTER;

    private SecurityParsers() {
    }

    /** The buffer behind a sized segment or a raw pointer (0x50 for NULL or unmapped). */
    public static MemorySegment buffer(MemorySegment pointer, String routine, String parameter) {
        return SecurityBuffer.of(pointer, routine, parameter);
    }

    /** An out or in-out parameter of at least {@code bytes} bytes (IllegalArgumentException if smaller). */
    public static MemorySegment out(MemorySegment pointer, long bytes, String routine) {
        return RtlSecurityDescriptor.out(pointer, bytes, routine);
    }

    /** Whether {@code b} begins with a valid SID lying wholly inside it. */
    public static boolean validSid(MemorySegment b) {
        return RtlSid.validIn(b);
    }

    /** RtlLengthRequiredSid for {@code subAuthorities}. */
    public static long sidLength(int subAuthorities) {
        return RtlSid.lengthFor(subAuthorities);
    }

    /** Whether {@code b} begins with a valid ACL (its AclSize, every ACE and SID) lying wholly inside it. */
    public static boolean validAcl(MemorySegment b) {
        return RtlAcl.validIn(b);
    }

    /** A descriptor's Control word. */
    public static int control(MemorySegment descriptor) {
        return RtlSecurityDescriptor.control(descriptor);
    }

    /**
     * The buffer behind {@code pointer} as {@link #buffer} finds it, or null where {@link #buffer}
     * would bug check (NULL, unmapped): for a caller that validates the buffer next.
     */
    public static MemorySegment find(MemorySegment pointer, String routine, String parameter) {
        return SecurityBuffer.find(pointer, routine, parameter);
    }

    /** Indexes of {@link #validDescriptor(MemorySegment, MemorySegment[])}'s components. */
    public static final int OWNER = RtlSecurityDescriptor.Part.OWNER.ordinal();
    public static final int GROUP = RtlSecurityDescriptor.Part.GROUP.ordinal();
    public static final int SACL = RtlSecurityDescriptor.Part.SACL.ordinal();
    public static final int DACL = RtlSecurityDescriptor.Part.DACL.ordinal();

    /**
     * RtlValidSecurityDescriptor, keeping what {@link #owner}, {@link #group}, {@link #sacl} and
     * {@link #dacl} would return in {@code components} (4 entries, at {@link #OWNER} ...) when valid:
     * one parse instead of two.
     */
    public static boolean validDescriptor(MemorySegment descriptor, MemorySegment[] components) {
        return SecurityDescriptorForms.valid(descriptor, components);
    }

    /** RtlValidSecurityDescriptor. */
    public static boolean validDescriptor(MemorySegment descriptor) {
        return SecurityDescriptorForms.valid(descriptor);
    }

    /** The owner SID of a valid descriptor (either form), exactly its bytes; null if it has none. */
    public static MemorySegment owner(MemorySegment descriptor, String routine) {
        return present(SecurityDescriptorForms.component(descriptor, Part.OWNER, false, routine));
    }

    /** The group SID, or null. */
    public static MemorySegment group(MemorySegment descriptor, String routine) {
        return present(SecurityDescriptorForms.component(descriptor, Part.GROUP, false, routine));
    }

    /** The DACL (AclSize bytes), or null for no DACL or a NULL DACL (SE_DACL_PRESENT tells them apart). */
    public static MemorySegment dacl(MemorySegment descriptor, String routine) {
        return present(SecurityDescriptorForms.component(descriptor, Part.DACL, false, routine));
    }

    /** The SACL, or null. */
    public static MemorySegment sacl(MemorySegment descriptor, String routine) {
        return present(SecurityDescriptorForms.component(descriptor, Part.SACL, false, routine));
    }

    private static MemorySegment present(MemorySegment c) {
        return c == null || SecurityDescriptorForms.absent(c) ? null : c;
    }
}
