package dev.offkern.runtime.se;

import static dev.offkern.nt.Win32Error.ERROR_INVALID_ACL;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_SECURITY_DESCR;
import static dev.offkern.runtime.se.SecurityBuffer.UCHAR;
import static dev.offkern.runtime.se.SecurityBuffer.ULONG;
import static dev.offkern.runtime.se.SecurityBuffer.USHORT;

import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACCESS_ALLOWED_OBJECT_ACE;
import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.rtl.GUID;
import dev.offkern.runtime.se.RtlSecurityDescriptor.Part;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * A security descriptor (either form) to SDDL text in Windows' canonical form: components in the
 * order O:, G:, D:, S: (those SecurityInformation asks for and the descriptor has); a SID as its alias
 * when it has one, else "S-1-..."; ACL flags P, AR, AI, or NO_ACCESS_CONTROL for a NULL ACL; ACE flags
 * in ascending bit order; a mask as one whole-mask name (FA, FR, FW, FX, KA, KR, KW, KX) when it
 * equals one, else bit names in ascending bit order when every set bit has one (NW/NR/NX for a
 * mandatory label's policy), else "0x" and lower-case hex. GUIDs of object ACEs in lower case.
 *
 * <p>Every read is bounded by the memory holding the descriptor and its parts; a part outside it,
 * or an ACL that is not valid, is ERROR_INVALID_SECURITY_DESCR / ERROR_INVALID_ACL.
 */
final class SddlFormatter {

    static final int OWNER_SECURITY_INFORMATION = 0x1;
    static final int GROUP_SECURITY_INFORMATION = 0x2;
    static final int DACL_SECURITY_INFORMATION = 0x4;
    static final int SACL_SECURITY_INFORMATION = 0x8;
    static final int LABEL_SECURITY_INFORMATION = 0x10;

    private SddlFormatter() {
    }

    /** The SDDL of descriptor {@code b} (already resolved to its memory, at least 20 bytes). */
    static String descriptor(MemorySegment b, int information) throws SddlException {
        if (b.get(UCHAR, 0) != RtlSecurityDescriptor.SECURITY_DESCRIPTOR_REVISION) {
            throw new SddlException(ERROR_INVALID_SECURITY_DESCR, "the descriptor's revision is not 1");
        }
        int control = RtlSecurityDescriptor.control(b);
        StringBuilder s = new StringBuilder();
        if ((information & OWNER_SECURITY_INFORMATION) != 0) {
            sidComponent(s, "O:", b, Part.OWNER);
        }
        if ((information & GROUP_SECURITY_INFORMATION) != 0) {
            sidComponent(s, "G:", b, Part.GROUP);
        }
        if ((information & DACL_SECURITY_INFORMATION) != 0 && (control & RtlSecurityDescriptor.SE_DACL_PRESENT) != 0) {
            aclComponent(s, "D:", b, Part.DACL, control, true, false);
        }
        boolean sacl = (information & SACL_SECURITY_INFORMATION) != 0;
        if ((sacl || (information & LABEL_SECURITY_INFORMATION) != 0)
                && (control & RtlSecurityDescriptor.SE_SACL_PRESENT) != 0) {
            aclComponent(s, "S:", b, Part.SACL, control, false, !sacl);
        }
        return s.toString();
    }

    private static MemorySegment part(MemorySegment b, Part part) throws SddlException {
        MemorySegment c = SecurityDescriptorForms.component(b, part, false, "ConvertSecurityDescriptorToStringSecurityDescriptorW");
        if (c == null) {
            throw new SddlException(ERROR_INVALID_SECURITY_DESCR, "the " + part + " lies outside its memory");
        }
        return c;
    }

    private static void sidComponent(StringBuilder s, String prefix, MemorySegment b, Part p) throws SddlException {
        MemorySegment sid = part(b, p);
        if (SecurityDescriptorForms.absent(sid)) {
            return;
        }
        if (!RtlSid.validIn(sid)) {
            throw new SddlException(ERROR_INVALID_SECURITY_DESCR, "the " + p + " is not a valid SID");
        }
        s.append(prefix).append(sid(sid));
    }

    /** A valid SID as its alias or "S-1-...". */
    static String sid(MemorySegment sid) {
        String text = RtlSid.format(sid);
        String alias = SddlAliases.ALIASES.get(text);
        return alias != null ? alias : text;
    }

    private static void aclComponent(StringBuilder s, String prefix, MemorySegment b, Part p, int control, boolean dacl,
                                     boolean labelsOnly) throws SddlException {
        s.append(prefix);
        for (SddlAliases.Name flag : SddlAliases.aclFlags(dacl)) {
            if ((control & flag.value()) != 0) {
                s.append(flag.text());
            }
        }
        MemorySegment acl = part(b, p);
        if (SecurityDescriptorForms.absent(acl)) {
            s.append(SddlAliases.NO_ACCESS_CONTROL);
            return;
        }
        if (!RtlAcl.validIn(acl)) {
            throw new SddlException(ERROR_INVALID_ACL, "the " + p + " is not a valid ACL");
        }
        int count = Short.toUnsignedInt(acl.get(USHORT, ACL.ACE_COUNT_OFFSET));
        long at = ACL.LAYOUT.byteSize();
        for (int i = 0; i < count; i++) {
            int size = Short.toUnsignedInt(acl.get(USHORT, at + ACE_HEADER.ACE_SIZE_OFFSET));
            int type = Byte.toUnsignedInt(acl.get(UCHAR, at + ACE_HEADER.ACE_TYPE_OFFSET));
            if (!labelsOnly || type == SddlAliases.SYSTEM_MANDATORY_LABEL) {
                ace(s, acl.asSlice(at, size), type);
            }
            at += size;
        }
    }

    private static void ace(StringBuilder s, MemorySegment ace, int type) throws SddlException {
        String typeName = null;
        for (SddlAliases.Name n : SddlAliases.ACE_TYPES) {
            if (n.value() == type) {
                typeName = n.text();
            }
        }
        if (typeName == null) {
            throw new SddlException(ERROR_INVALID_ACL, "ACE type 0x" + Integer.toHexString(type) + " has no SDDL form");
        }
        int flags = Byte.toUnsignedInt(ace.get(UCHAR, ACE_HEADER.ACE_FLAGS_OFFSET));
        int mask = ace.get(ULONG, ACCESS_ALLOWED_ACE.MASK_OFFSET);
        s.append('(').append(typeName).append(';');
        for (SddlAliases.Name f : SddlAliases.ACE_FLAGS) {
            if ((flags & f.value()) != 0) {
                s.append(f.text());
            }
        }
        s.append(';');
        rights(s, mask, type == SddlAliases.SYSTEM_MANDATORY_LABEL);
        s.append(';');
        long sidAt = ACCESS_ALLOWED_ACE.SID_START_OFFSET;
        if (SddlAliases.objectAce(type)) {
            if (ace.byteSize() < ACCESS_ALLOWED_OBJECT_ACE.OBJECT_TYPE_OFFSET) {
                throw new SddlException(ERROR_INVALID_ACL, "an object ACE of " + ace.byteSize() + " bytes");
            }
            int present = ace.get(ULONG, ACCESS_ALLOWED_OBJECT_ACE.FLAGS_OFFSET);
            sidAt = ACCESS_ALLOWED_OBJECT_ACE.OBJECT_TYPE_OFFSET;
            if ((present & 1) != 0) {
                sidAt = guid(s, ace, sidAt);
            }
            s.append(';');
            if ((present & 2) != 0) {
                sidAt = guid(s, ace, sidAt);
            }
            s.append(';');
        } else {
            s.append(";;");
        }
        if (sidAt >= ace.byteSize() || !RtlSid.validIn(ace.asSlice(sidAt))) {
            throw new SddlException(ERROR_INVALID_ACL, "an ACE whose SID does not fit in its AceSize");
        }
        s.append(sid(ace.asSlice(sidAt))).append(')');
    }

    private static long guid(StringBuilder s, MemorySegment ace, long at) throws SddlException {
        if (at + GUID.LAYOUT.byteSize() > ace.byteSize()) {
            throw new SddlException(ERROR_INVALID_ACL, "an object ACE's GUID runs past its AceSize");
        }
        s.append(String.format(Locale.ROOT, "%08x-%04x-%04x-", ace.get(ULONG, at + GUID.DATA1_OFFSET),
                Short.toUnsignedInt(ace.get(USHORT, at + GUID.DATA2_OFFSET)),
                Short.toUnsignedInt(ace.get(USHORT, at + GUID.DATA3_OFFSET))));
        for (long i = GUID.DATA4_OFFSET; i < GUID.LAYOUT.byteSize(); i++) {
            if (i == GUID.DATA4_OFFSET + 2) {
                s.append('-');
            }
            s.append(String.format(Locale.ROOT, "%02x", Byte.toUnsignedInt(ace.get(UCHAR, at + i))));
        }
        return at + GUID.LAYOUT.byteSize();
    }

    static void rights(StringBuilder s, int mask, boolean label) {
        if (mask == 0) {
            return;
        }
        for (SddlAliases.Name whole : SddlAliases.WHOLE_RIGHTS) {
            if (whole.value() == mask) {
                s.append(whole.text());
                return;
            }
        }
        for (int i = 0; i < 32; i++) {
            if ((mask & (1 << i)) != 0 && bitName(i, label) == null) {
                s.append("0x").append(Integer.toHexString(mask));
                return;
            }
        }
        for (int i = 0; i < 32; i++) {
            if ((mask & (1 << i)) != 0) {
                s.append(bitName(i, label));
            }
        }
    }

    private static String bitName(int bit, boolean label) {
        if (label && bit < SddlAliases.LABEL_RIGHTS.length) {
            return SddlAliases.LABEL_RIGHTS[bit];
        }
        return SddlAliases.BIT_RIGHTS[bit];
    }
}
