package dev.offkern.bench.peers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The plain-Java peer of the SDDL benchmark: a minimal SDDL codec on the heap for the grammar subset
 * the benchmark's descriptor uses (O:, G:, D:, S: with the P/AI/AR flags; ACE types A, D, AU, OA, OD,
 * ML; the ACE flags; two-letter right names, FA and hex masks; a handful of SID aliases and "S-1-..."
 * SIDs; object GUIDs). {@link #parse} builds the same self-relative descriptor bytes as
 * {@code ConvertStringSecurityDescriptorToSecurityDescriptorW} (header, SACL, DACL, owner, group) in a
 * {@code byte[]} through a heap {@link ByteBuffer}; {@link #format} writes canonical SDDL back from
 * such bytes with a StringBuilder. No native memory, no pool, no bounds checks beyond the JDK's own,
 * no error codes: it is the work without the kernel's contract, which is what the comparison is for.
 */
public final class HeapSddl {

    private static final Map<String, String> ALIAS_TO_SID = new HashMap<>();
    private static final Map<String, String> SID_TO_ALIAS = new HashMap<>();
    private static final String[] RIGHT_BITS = new String[32];
    private static final Map<String, Integer> RIGHTS = new HashMap<>();
    private static final String[] FLAG_NAMES = {"OI", "CI", "NP", "IO", "ID", null, "SA", "FA"};
    private static final Map<String, Integer> TYPES = Map.of("A", 0, "D", 1, "AU", 2, "OA", 5, "OD", 6, "ML", 0x11);
    private static final String[] TYPE_NAMES = new String[0x12];
    private static final int FILE_ALL_ACCESS = 0x1F01FF;

    static {
        String[][] aliases = {{"BA", "S-1-5-32-544"}, {"BU", "S-1-5-32-545"}, {"SY", "S-1-5-18"}, {"WD", "S-1-1-0"},
                {"AU", "S-1-5-11"}, {"CO", "S-1-3-0"}, {"AO", "S-1-5-32-548"}, {"PO", "S-1-5-32-550"},
                {"DA", "S-1-5-21-0-0-0-512"}, {"LW", "S-1-16-4096"}, {"ME", "S-1-16-8192"}, {"SU", "S-1-5-6"},
                {"NS", "S-1-5-20"}, {"LS", "S-1-5-19"}, {"IU", "S-1-5-4"}, {"RU", "S-1-5-32-554"}};
        for (String[] a : aliases) {
            ALIAS_TO_SID.put(a[0], a[1]);
            SID_TO_ALIAS.put(a[1], a[0]);
        }
        String[] bits = {"CC", "DC", "LC", "SW", "RP", "WP", "DT", "LO", "CR"};
        for (int i = 0; i < bits.length; i++) {
            RIGHT_BITS[i] = bits[i];
        }
        RIGHT_BITS[16] = "SD";
        RIGHT_BITS[17] = "RC";
        RIGHT_BITS[18] = "WD";
        RIGHT_BITS[19] = "WO";
        RIGHT_BITS[28] = "GA";
        RIGHT_BITS[29] = "GX";
        RIGHT_BITS[30] = "GW";
        RIGHT_BITS[31] = "GR";
        for (int i = 0; i < 32; i++) {
            if (RIGHT_BITS[i] != null) {
                RIGHTS.put(RIGHT_BITS[i], 1 << i);
            }
        }
        RIGHTS.put("NW", 1);
        RIGHTS.put("NR", 2);
        RIGHTS.put("NX", 4);
        TYPES.forEach((name, value) -> TYPE_NAMES[value] = name);
    }

    private HeapSddl() {
    }

    // ===== parse =====

    /** The self-relative descriptor of {@code sddl}, as offkern lays it out. */
    public static byte[] parse(String sddl) {
        byte[] owner = null;
        byte[] group = null;
        byte[] dacl = null;
        byte[] sacl = null;
        int control = 0x8000;
        int at = 0;
        while (at < sddl.length()) {
            char c = sddl.charAt(at);
            int end = next(sddl, at + 2);
            String body = sddl.substring(at + 2, end);
            switch (c) {
                case 'O' -> owner = sid(body);
                case 'G' -> group = sid(body);
                case 'D' -> {
                    control |= 0x0004 | aclFlags(body, 0x1000, 0x0400, 0x0100);
                    dacl = acl(body);
                }
                case 'S' -> {
                    control |= 0x0010 | aclFlags(body, 0x2000, 0x0800, 0x0200);
                    sacl = acl(body);
                }
                default -> throw new IllegalArgumentException("component " + c);
            }
            at = end;
        }
        int size = 20 + len(sacl) + len(dacl) + len(owner) + len(group);
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 1).put((byte) 0).putShort((short) control);
        int offset = 20;
        int saclAt = sacl == null ? 0 : offset;
        offset += len(sacl);
        int daclAt = dacl == null ? 0 : offset;
        offset += len(dacl);
        int ownerAt = owner == null ? 0 : offset;
        offset += len(owner);
        int groupAt = group == null ? 0 : offset;
        b.putInt(ownerAt).putInt(groupAt).putInt(saclAt).putInt(daclAt);
        for (byte[] part : new byte[][]{sacl, dacl, owner, group}) {
            if (part != null) {
                b.put(part);
            }
        }
        return b.array();
    }

    private static int len(byte[] part) {
        return part == null ? 0 : part.length;
    }

    /** Where the component starting at {@code from} ends: the next "X:" outside parentheses. */
    private static int next(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (depth == 0 && i + 1 < s.length() && s.charAt(i + 1) == ':' && "OGDS".indexOf(c) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    private static int aclFlags(String body, int p, int ai, int ar) {
        int paren = body.indexOf('(');
        String flags = paren < 0 ? body : body.substring(0, paren);
        return (flags.contains("P") ? p : 0) | (flags.contains("AI") ? ai : 0) | (flags.contains("AR") ? ar : 0);
    }

    private static byte[] acl(String body) {
        int most = 0;                                   // ACEs at most: one per '('; each at most 8 + 36 + 68 bytes
        for (int i = body.indexOf('('); i >= 0; i = body.indexOf('(', i + 1)) {
            most++;
        }
        ByteBuffer aces = ByteBuffer.allocate(most * 112).order(ByteOrder.LITTLE_ENDIAN);
        int count = 0;
        int revision = 2;
        for (int open = body.indexOf('('); open >= 0; open = body.indexOf('(', open + 1)) {
            String[] f = body.substring(open + 1, body.indexOf(')', open)).split(";", -1);
            int type = TYPES.get(f[0]);
            int flags = 0;
            for (int i = 0; i < f[1].length(); i += 2) {
                String name = f[1].substring(i, i + 2);
                for (int bit = 0; bit < FLAG_NAMES.length; bit++) {
                    if (name.equals(FLAG_NAMES[bit])) {
                        flags |= 1 << bit;
                    }
                }
            }
            int mask = mask(f[2]);
            byte[] sid = sid(f[5]);
            boolean object = type == 5 || type == 6;
            byte[] objectType = object && !f[3].isEmpty() ? guid(f[3]) : null;
            byte[] inherited = object && !f[4].isEmpty() ? guid(f[4]) : null;
            int size = 8 + (object ? 4 + len(objectType) + len(inherited) : 0) + sid.length;
            aces.put((byte) type).put((byte) flags).putShort((short) size).putInt(mask);
            if (object) {
                revision = 4;
                aces.putInt((objectType != null ? 1 : 0) | (inherited != null ? 2 : 0));
                if (objectType != null) {
                    aces.put(objectType);
                }
                if (inherited != null) {
                    aces.put(inherited);
                }
            }
            aces.put(sid);
            count++;
        }
        int size = 8 + aces.position();
        ByteBuffer acl = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        acl.put((byte) revision).put((byte) 0).putShort((short) size).putShort((short) count).putShort((short) 0);
        acl.put(aces.array(), 0, aces.position());
        return acl.array();
    }

    private static int mask(String rights) {
        if (rights.startsWith("0x") || rights.startsWith("0X")) {
            return (int) Long.parseLong(rights.substring(2), 16);
        }
        if (rights.equals("FA")) {
            return FILE_ALL_ACCESS;
        }
        int mask = 0;
        for (int i = 0; i < rights.length(); i += 2) {
            mask |= RIGHTS.get(rights.substring(i, i + 2));
        }
        return mask;
    }

    private static byte[] sid(String text) {
        String full = ALIAS_TO_SID.getOrDefault(text, text);
        String[] parts = full.split("-");
        int count = parts.length - 3;
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) Integer.parseInt(parts[1])).put((byte) count);
        long authority = Long.parseLong(parts[2]);
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (authority >>> (8 * i)));
        }
        for (int i = 3; i < parts.length; i++) {
            b.putInt((int) Long.parseLong(parts[i]));
        }
        return b.array();
    }

    private static byte[] guid(String text) {
        UUID u = UUID.fromString(text);
        ByteBuffer b = ByteBuffer.allocate(16);
        long hi = u.getMostSignificantBits();
        b.order(ByteOrder.LITTLE_ENDIAN).putInt((int) (hi >>> 32)).putShort((short) (hi >>> 16)).putShort((short) hi);
        b.order(ByteOrder.BIG_ENDIAN).putLong(u.getLeastSignificantBits());
        return b.array();
    }

    // ===== format =====

    /** Canonical SDDL of a self-relative descriptor made by {@link #parse} (or by offkern). */
    public static String format(byte[] descriptor) {
        ByteBuffer b = ByteBuffer.wrap(descriptor).order(ByteOrder.LITTLE_ENDIAN);
        int control = Short.toUnsignedInt(b.getShort(2));
        StringBuilder s = new StringBuilder(256);
        if (b.getInt(4) != 0) {
            s.append("O:").append(sidText(b, b.getInt(4)));
        }
        if (b.getInt(8) != 0) {
            s.append("G:").append(sidText(b, b.getInt(8)));
        }
        if ((control & 0x0004) != 0) {
            s.append("D:");
            flags(s, control, 0x1000, 0x0400, 0x0100);
            aclText(s, b, b.getInt(16));
        }
        if ((control & 0x0010) != 0) {
            s.append("S:");
            flags(s, control, 0x2000, 0x0800, 0x0200);
            aclText(s, b, b.getInt(12));
        }
        return s.toString();
    }

    private static void flags(StringBuilder s, int control, int p, int ai, int ar) {
        if ((control & p) != 0) {
            s.append('P');
        }
        if ((control & ar) != 0) {
            s.append("AR");
        }
        if ((control & ai) != 0) {
            s.append("AI");
        }
    }

    private static void aclText(StringBuilder s, ByteBuffer b, int at) {
        if (at == 0) {
            s.append("NO_ACCESS_CONTROL");
            return;
        }
        int count = Short.toUnsignedInt(b.getShort(at + 4));
        int ace = at + 8;
        for (int i = 0; i < count; i++) {
            int type = b.get(ace) & 0xFF;
            int flags = b.get(ace + 1) & 0xFF;
            int size = Short.toUnsignedInt(b.getShort(ace + 2));
            int mask = b.getInt(ace + 4);
            s.append('(').append(TYPE_NAMES[type]).append(';');
            for (int bit = 0; bit < FLAG_NAMES.length; bit++) {
                if ((flags & (1 << bit)) != 0) {
                    s.append(FLAG_NAMES[bit]);
                }
            }
            s.append(';');
            rights(s, mask, type == 0x11);
            s.append(';');
            int sidAt = ace + 8;
            if (type == 5 || type == 6) {
                int present = b.getInt(ace + 8);
                sidAt = ace + 12;
                if ((present & 1) != 0) {
                    guidText(s, b, sidAt);
                    sidAt += 16;
                }
                s.append(';');
                if ((present & 2) != 0) {
                    guidText(s, b, sidAt);
                    sidAt += 16;
                }
                s.append(';');
            } else {
                s.append(";;");
            }
            s.append(sidText(b, sidAt)).append(')');
            ace += size;
        }
    }

    private static void rights(StringBuilder s, int mask, boolean label) {
        if (mask == FILE_ALL_ACCESS) {
            s.append("FA");
            return;
        }
        for (int i = 0; i < 32; i++) {
            if ((mask & (1 << i)) != 0 && (label ? i > 2 : RIGHT_BITS[i] == null)) {
                s.append("0x").append(Integer.toHexString(mask));
                return;
            }
        }
        for (int i = 0; i < 32; i++) {
            if ((mask & (1 << i)) != 0) {
                s.append(label ? new String[]{"NW", "NR", "NX"}[i] : RIGHT_BITS[i]);
            }
        }
    }

    private static String sidText(ByteBuffer b, int at) {
        StringBuilder s = new StringBuilder("S-").append(b.get(at) & 0xFF).append('-');
        long authority = 0;
        for (int i = 0; i < 6; i++) {
            authority = authority << 8 | (b.get(at + 2 + i) & 0xFF);
        }
        s.append(authority);
        int count = b.get(at + 1) & 0xFF;
        for (int i = 0; i < count; i++) {
            s.append('-').append(Integer.toUnsignedLong(b.getInt(at + 8 + 4 * i)));
        }
        String text = s.toString();
        return SID_TO_ALIAS.getOrDefault(text, text);
    }

    private static void guidText(StringBuilder s, ByteBuffer b, int at) {
        s.append(String.format(Locale.ROOT, "%08x-%04x-%04x-", b.getInt(at), Short.toUnsignedInt(b.getShort(at + 4)),
                Short.toUnsignedInt(b.getShort(at + 6))));
        for (int i = 8; i < 16; i++) {
            if (i == 10) {
                s.append('-');
            }
            s.append(String.format(Locale.ROOT, "%02x", b.get(at + i) & 0xFF));
        }
    }
}
