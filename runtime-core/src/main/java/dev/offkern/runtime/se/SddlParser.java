package dev.offkern.runtime.se;

import static dev.offkern.nt.Win32Error.ERROR_INVALID_ACL;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_PARAMETER;
import static dev.offkern.nt.Win32Error.ERROR_INVALID_SID;

import dev.offkern.layout.rtl.GUID;
import dev.offkern.layout.se.ACCESS_ALLOWED_ACE;
import dev.offkern.layout.se.ACCESS_ALLOWED_OBJECT_ACE;
import dev.offkern.layout.se.ACE_HEADER;
import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.SECURITY_DESCRIPTOR_RELATIVE;
import dev.offkern.layout.se.SID;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * SDDL text to binary (MS-DTYP 2.5.1): a SID string or alias to a SID, and a descriptor string to a
 * self-relative SECURITY_DESCRIPTOR. Components O:, G:, D:, S: may come in any order, each at most
 * once; D: and S: take the flags P, AR, AI and NO_ACCESS_CONTROL (a NULL ACL) and then ACE strings
 * "(type;flags;rights;object-guid;inherit-object-guid;sid)". Rights are two-letter names, or one
 * number (hex 0x.., octal 0.., decimal). An ACL holding an object ACE has revision ACL_REVISION_DS (4),
 * otherwise ACL_REVISION (2); its AclSize is exactly its ACEs. The self-relative result lays its parts
 * out as RtlAbsoluteToSelfRelativeSD does: SACL, DACL, owner, group.
 *
 * <p>Errors as Windows reports them: an unknown component or stray text is ERROR_INVALID_PARAMETER;
 * anything wrong inside an ACE (type, flags, rights, GUID, SID) is ERROR_INVALID_ACL; a bad owner or
 * group SID is ERROR_INVALID_SID. Conditional expressions of callback ACEs (a seventh field) and
 * resource-attribute ACEs are not supported (ERROR_INVALID_ACL).
 *
 * <p>Pure computation on the heap: the routines that call it copy the result into pool.
 */
final class SddlParser {

    private static final int MAX_SUB_AUTHORITIES = 15;
    // Offsets of the binary forms this parser writes (from the layout classes).
    private static final int SID_REVISION = (int) SID.REVISION_OFFSET;
    private static final int SID_COUNT = (int) SID.SUB_AUTHORITY_COUNT_OFFSET;
    private static final int SID_AUTHORITY = (int) SID.IDENTIFIER_AUTHORITY_OFFSET;
    private static final int SID_SUBS = (int) SID.SUB_AUTHORITY_OFFSET;
    private static final int ACL_HEADER = (int) ACL.LAYOUT.byteSize();
    private static final int ACE_TYPE = (int) ACE_HEADER.ACE_TYPE_OFFSET;
    private static final int ACE_FLAGS = (int) ACE_HEADER.ACE_FLAGS_OFFSET;
    private static final int ACE_SIZE = (int) ACE_HEADER.ACE_SIZE_OFFSET;
    private static final int ACE_MASK = (int) ACCESS_ALLOWED_ACE.MASK_OFFSET;
    private static final int ACE_SID = (int) ACCESS_ALLOWED_ACE.SID_START_OFFSET;
    private static final int OBJECT_FLAGS = (int) ACCESS_ALLOWED_OBJECT_ACE.FLAGS_OFFSET;
    private static final int OBJECT_GUIDS = (int) ACCESS_ALLOWED_OBJECT_ACE.OBJECT_TYPE_OFFSET;
    private static final int GUID_SIZE = (int) GUID.LAYOUT.byteSize();
    private static final int SD_HEADER = (int) SECURITY_DESCRIPTOR_RELATIVE.LAYOUT.byteSize();

    private SddlParser() {
    }

    // ----- SIDs -----

    /** The binary SID for a SID string ("S-1-5-32-544", authority decimal or 0x hex) or a two-letter alias. */
    static byte[] sid(String text) throws SddlException {
        String resolved = text.length() == 2 ? SddlAliases.SIDS.get(text) : text;
        if (resolved == null) {
            throw new SddlException(ERROR_INVALID_SID, "\"" + text + "\" is not a SID alias");
        }
        String[] parts = resolved.split("-", -1);
        if (parts.length < 4 || !(parts[0].equals("S") || parts[0].equals("s")) || !parts[1].equals("1")) {
            throw new SddlException(ERROR_INVALID_SID, "\"" + text + "\" is not S-1-authority-subauthority...");
        }
        int count = parts.length - 3;
        if (count > MAX_SUB_AUTHORITIES) {
            throw new SddlException(ERROR_INVALID_SID, "\"" + text + "\" has " + count + " sub-authorities; at most 15");
        }
        long authority = number(parts[2], 0xFFFF_FFFF_FFFFL, text);
        byte[] sid = new byte[SID_SUBS + 4 * count];
        sid[SID_REVISION] = 1;
        sid[SID_COUNT] = (byte) count;
        for (int i = 0; i < 6; i++) {
            sid[SID_AUTHORITY + i] = (byte) (authority >>> (8 * (5 - i)));   // IdentifierAuthority is big-endian
        }
        for (int i = 0; i < count; i++) {
            putInt(sid, SID_SUBS + 4 * i, (int) number(parts[3 + i], 0xFFFF_FFFFL, text));
        }
        return sid;
    }

    private static long number(String digits, long max, String sid) throws SddlException {
        boolean hex = digits.length() > 2 && (digits.startsWith("0x") || digits.startsWith("0X"));
        String body = hex ? digits.substring(2) : digits;
        if (body.isEmpty() || body.length() > 16) {
            throw new SddlException(ERROR_INVALID_SID, "\"" + sid + "\": \"" + digits + "\" is not a number");
        }
        long value = 0;
        for (int i = 0; i < body.length(); i++) {
            int d = digit(body.charAt(i), hex ? 16 : 10);
            if (d < 0) {
                throw new SddlException(ERROR_INVALID_SID, "\"" + sid + "\": \"" + digits + "\" is not a number");
            }
            value = value * (hex ? 16 : 10) + d;
            if (value > max) {
                throw new SddlException(ERROR_INVALID_SID, "\"" + sid + "\": " + digits + " exceeds 0x" + Long.toHexString(max));
            }
        }
        return value;
    }

    // ----- descriptors -----

    /** A parsed DACL or SACL: its Control bits, and its bytes (null for NO_ACCESS_CONTROL). */
    private record Acl(int control, byte[] bytes) {
    }

    /** The self-relative descriptor {@code text} describes. */
    static byte[] descriptor(String text) throws SddlException {
        byte[] owner = null;
        byte[] group = null;
        Acl dacl = null;
        Acl sacl = null;
        int at = 0;
        while (at < text.length()) {
            if (at + 1 >= text.length() || text.charAt(at + 1) != ':') {
                throw new SddlException(ERROR_INVALID_PARAMETER, "expected O:, G:, D: or S: at offset " + at);
            }
            char component = text.charAt(at);
            int start = at + 2;
            switch (component) {
                case 'O', 'G' -> {
                    int end = nextComponent(text, start);
                    byte[] sid;
                    try {
                        sid = sid(text.substring(start, end));
                    } catch (SddlException e) {
                        throw new SddlException(ERROR_INVALID_SID, (component == 'O' ? "owner: " : "group: ") + e.getMessage());
                    }
                    if (component == 'O' ? owner != null : group != null) {
                        throw new SddlException(ERROR_INVALID_PARAMETER, component + ": appears twice");
                    }
                    if (component == 'O') {
                        owner = sid;
                    } else {
                        group = sid;
                    }
                    at = end;
                }
                case 'D', 'S' -> {
                    if (component == 'D' ? dacl != null : sacl != null) {
                        throw new SddlException(ERROR_INVALID_PARAMETER, component + ": appears twice");
                    }
                    int[] end = new int[1];
                    Acl acl = acl(text, start, component == 'D', end);
                    if (component == 'D') {
                        dacl = acl;
                    } else {
                        sacl = acl;
                    }
                    at = end[0];
                }
                default -> throw new SddlException(ERROR_INVALID_PARAMETER,
                        "\"" + component + ":\" at offset " + at + " is not O:, G:, D: or S:");
            }
        }
        return assemble(owner, group, dacl, sacl);
    }

    /** Where the component starting at or after {@code from} begins (or the end of the text). */
    private static int nextComponent(String text, int from) {
        for (int i = from; i + 1 < text.length(); i++) {
            char c = text.charAt(i);
            if ((c == 'O' || c == 'G' || c == 'D' || c == 'S') && text.charAt(i + 1) == ':') {
                return i;
            }
        }
        return text.length();
    }

    private static Acl acl(String text, int from, boolean dacl, int[] end) throws SddlException {
        int control = 0;
        boolean nullAcl = false;
        int at = from;
        flags:
        while (at < text.length() && text.charAt(at) != '(') {
            if (text.startsWith(SddlAliases.NO_ACCESS_CONTROL, at)) {
                nullAcl = true;
                at += SddlAliases.NO_ACCESS_CONTROL.length();
                continue;
            }
            for (SddlAliases.Name flag : SddlAliases.aclFlags(dacl)) {
                if (text.startsWith(flag.text(), at)) {
                    control |= flag.value();
                    at += flag.text().length();
                    continue flags;
                }
            }
            if (at + 1 < text.length() && text.charAt(at + 1) == ':') {
                break;                                              // the next component
            }
            throw new SddlException(ERROR_INVALID_PARAMETER, "unknown ACL flag at offset " + at + " of \"" + text + "\"");
        }
        List<byte[]> aces = new ArrayList<>();
        boolean objectAces = false;
        while (at < text.length() && text.charAt(at) == '(') {
            int close = text.indexOf(')', at);
            if (close < 0) {
                throw new SddlException(ERROR_INVALID_ACL, "an ACE at offset " + at + " has no closing parenthesis");
            }
            int[] type = new int[1];
            aces.add(ace(text.substring(at + 1, close), type));
            objectAces |= SddlAliases.objectAce(type[0]);
            at = close + 1;
        }
        if (at < text.length() && !(at + 1 < text.length() && text.charAt(at + 1) == ':')) {
            throw new SddlException(ERROR_INVALID_PARAMETER, "unexpected \"" + text.charAt(at) + "\" at offset " + at);
        }
        end[0] = at;
        if (nullAcl) {
            if (!aces.isEmpty()) {
                throw new SddlException(ERROR_INVALID_PARAMETER, "NO_ACCESS_CONTROL with ACEs");
            }
            return new Acl(control, null);
        }
        int size = ACL_HEADER;
        for (byte[] a : aces) {
            size += a.length;
        }
        if (size > 0xFFFF) {
            throw new SddlException(ERROR_INVALID_ACL, "the ACL would be " + size + " bytes; AclSize is a USHORT");
        }
        byte[] acl = new byte[size];
        acl[(int) ACL.ACL_REVISION_OFFSET] = (byte) (objectAces ? 4 : 2);
        putShort(acl, (int) ACL.ACL_SIZE_OFFSET, size);
        putShort(acl, (int) ACL.ACE_COUNT_OFFSET, aces.size());
        int p = ACL_HEADER;
        for (byte[] a : aces) {
            System.arraycopy(a, 0, acl, p, a.length);
            p += a.length;
        }
        return new Acl(control, acl);
    }

    private static byte[] ace(String body, int[] typeOut) throws SddlException {
        String[] f = body.split(";", -1);
        if (f.length != 6) {
            throw new SddlException(ERROR_INVALID_ACL, "the ACE \"(" + body + ")\" has " + f.length
                    + " fields; six are needed (conditional expressions and resource attributes are not supported)");
        }
        int type = -1;
        for (SddlAliases.Name n : SddlAliases.ACE_TYPES) {
            if (n.text().equals(f[0])) {
                type = n.value();
            }
        }
        if (type < 0) {
            throw new SddlException(ERROR_INVALID_ACL, "\"" + f[0] + "\" is not an ACE type");
        }
        typeOut[0] = type;
        int flags = aceFlags(f[1]);
        int mask = rights(f[2], type == SddlAliases.SYSTEM_MANDATORY_LABEL);
        boolean object = SddlAliases.objectAce(type);
        byte[] objectType = guid(f[3], object);
        byte[] inherited = guid(f[4], object);
        byte[] sid;
        try {
            sid = sid(f[5]);
        } catch (SddlException e) {
            throw new SddlException(ERROR_INVALID_ACL, "ACE SID: " + e.getMessage());
        }
        int size = (object ? OBJECT_GUIDS : ACE_SID) + (objectType != null ? GUID_SIZE : 0)
                + (inherited != null ? GUID_SIZE : 0) + sid.length;
        byte[] ace = new byte[size];
        ace[ACE_TYPE] = (byte) type;
        ace[ACE_FLAGS] = (byte) flags;
        putShort(ace, ACE_SIZE, size);
        putInt(ace, ACE_MASK, mask);
        int p = ACE_SID;
        if (object) {
            putInt(ace, OBJECT_FLAGS, (objectType != null ? 1 : 0) | (inherited != null ? 2 : 0));
            p = OBJECT_GUIDS;
            if (objectType != null) {
                System.arraycopy(objectType, 0, ace, p, GUID_SIZE);
                p += GUID_SIZE;
            }
            if (inherited != null) {
                System.arraycopy(inherited, 0, ace, p, GUID_SIZE);
                p += GUID_SIZE;
            }
        }
        System.arraycopy(sid, 0, ace, p, sid.length);
        return ace;
    }

    private static int aceFlags(String text) throws SddlException {
        int flags = 0;
        int at = 0;
        next:
        while (at < text.length()) {
            for (SddlAliases.Name n : SddlAliases.ACE_FLAGS) {
                if (text.startsWith(n.text(), at)) {
                    flags |= n.value();
                    at += 2;
                    continue next;
                }
            }
            throw new SddlException(ERROR_INVALID_ACL, "\"" + text + "\" holds an unknown ACE flag at " + at);
        }
        return flags;
    }

    private static int rights(String text, boolean label) throws SddlException {
        if (!text.isEmpty() && digit(text.charAt(0), 10) >= 0) {
            boolean hex = text.startsWith("0x") || text.startsWith("0X");
            int radix = hex ? 16 : text.length() > 1 && text.charAt(0) == '0' ? 8 : 10;
            String digits = hex ? text.substring(2) : text;
            long value = digits.isEmpty() || digits.length() > 11 ? -1 : 0;
            for (int i = 0; i < digits.length() && value >= 0; i++) {
                int d = digit(digits.charAt(i), radix);
                value = d < 0 ? -1 : value * radix + d;
            }
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new SddlException(ERROR_INVALID_ACL, "\"" + text + "\" is not an access mask");
            }
            return (int) value;
        }
        long mask = 0;
        for (int at = 0; at < text.length(); at += 2) {
            long r = at + 2 <= text.length() ? SddlAliases.right(text.substring(at, at + 2), label) : -1;
            if (r < 0) {
                throw new SddlException(ERROR_INVALID_ACL, "\"" + text + "\" holds an unknown right at " + at);
            }
            mask |= r;
        }
        return (int) mask;
    }

    /** A GUID string's 16 bytes in GUID's memory order (Data1-3 little-endian), or null when empty. */
    private static byte[] guid(String text, boolean allowed) throws SddlException {
        if (text.isEmpty()) {
            return null;
        }
        if (!allowed) {
            throw new SddlException(ERROR_INVALID_ACL, "a GUID in an ACE type that has none: \"" + text + "\"");
        }
        if (text.length() != 36) {
            throw new SddlException(ERROR_INVALID_ACL, "\"" + text + "\" is not a GUID");
        }
        byte[] raw = new byte[16];
        int nibble = 0;
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            int d = digit(c, 16);
            if (dash ? c != '-' : d < 0) {
                throw new SddlException(ERROR_INVALID_ACL, "\"" + text + "\" is not a GUID");
            }
            if (!dash) {
                raw[nibble / 2] |= (byte) (nibble % 2 == 0 ? d << 4 : d);
                nibble++;
            }
        }
        byte[] g = raw.clone();
        int[] order = {3, 2, 1, 0, 5, 4, 7, 6};
        for (int i = 0; i < order.length; i++) {
            g[i] = raw[order[i]];
        }
        return g;
    }

    private static byte[] assemble(byte[] owner, byte[] group, Acl dacl, Acl sacl) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[SD_HEADER];
        int control = RtlSecurityDescriptor.SE_SELF_RELATIVE;
        header[(int) SECURITY_DESCRIPTOR_RELATIVE.REVISION_OFFSET] = 1;
        out.writeBytes(header);
        int[] offsets = new int[4];   // owner, group, sacl, dacl
        if (sacl != null) {
            control |= RtlSecurityDescriptor.SE_SACL_PRESENT | sacl.control();
            if (sacl.bytes() != null) {
                offsets[2] = out.size();
                out.writeBytes(sacl.bytes());
            }
        }
        if (dacl != null) {
            control |= RtlSecurityDescriptor.SE_DACL_PRESENT | dacl.control();
            if (dacl.bytes() != null) {
                offsets[3] = out.size();
                out.writeBytes(dacl.bytes());
            }
        }
        if (owner != null) {
            offsets[0] = out.size();
            out.writeBytes(owner);
        }
        if (group != null) {
            offsets[1] = out.size();
            out.writeBytes(group);
        }
        byte[] sd = out.toByteArray();
        putShort(sd, (int) SECURITY_DESCRIPTOR_RELATIVE.CONTROL_OFFSET, control);
        putInt(sd, (int) SECURITY_DESCRIPTOR_RELATIVE.OWNER_OFFSET, offsets[0]);
        putInt(sd, (int) SECURITY_DESCRIPTOR_RELATIVE.GROUP_OFFSET, offsets[1]);
        putInt(sd, (int) SECURITY_DESCRIPTOR_RELATIVE.SACL_OFFSET, offsets[2]);
        putInt(sd, (int) SECURITY_DESCRIPTOR_RELATIVE.DACL_OFFSET, offsets[3]);
        return sd;
    }

    /** An ASCII digit's value in {@code radix} (at most 16), or -1: SDDL numbers are ASCII only. */
    private static int digit(char c, int radix) {
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        return d < radix ? d : -1;
    }

    static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    static void putInt(byte[] b, int at, int v) {
        putShort(b, at, v);
        putShort(b, at + 2, v >>> 16);
    }
}
