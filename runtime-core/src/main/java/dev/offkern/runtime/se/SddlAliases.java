package dev.offkern.runtime.se;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The vocabulary of SDDL (MS-DTYP 2.5.1): the two-letter SID aliases, the access-right names, the
 * ACE type and ACE flag names, and the descriptor control flags. Domain-relative aliases (LA, DA,
 * EA, ...) are resolved in offkern's machine domain, S-1-5-21-0-0-0 (there is no domain controller
 * to ask; Wine makes the same choice), so "LA" is S-1-5-21-0-0-0-500 and formats back to "LA".
 *
 * <p>Immutable tables built once; lookups allocate nothing.
 */
final class SddlAliases {

    /** The machine's account domain, the prefix of every domain-relative alias. */
    static final String MACHINE_DOMAIN = "S-1-5-21-0-0-0";

    /** Alias to SID string, in MS-DTYP's order. */
    static final Map<String, String> SIDS = new LinkedHashMap<>();
    /** SID string to alias (the inverse of {@link #SIDS}). */
    static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        String[][] table = {
                {"AA", "S-1-5-32-579"}, {"AC", "S-1-15-2-1"}, {"AN", "S-1-5-7"}, {"AO", "S-1-5-32-548"},
                {"AP", MACHINE_DOMAIN + "-525"}, {"AS", "S-1-18-1"}, {"AU", "S-1-5-11"}, {"BA", "S-1-5-32-544"},
                {"BG", "S-1-5-32-546"}, {"BO", "S-1-5-32-551"}, {"BU", "S-1-5-32-545"}, {"CA", MACHINE_DOMAIN + "-517"},
                {"CD", "S-1-5-32-574"}, {"CG", "S-1-3-1"}, {"CN", MACHINE_DOMAIN + "-522"}, {"CO", "S-1-3-0"},
                {"CY", "S-1-5-32-569"}, {"DA", MACHINE_DOMAIN + "-512"}, {"DC", MACHINE_DOMAIN + "-515"},
                {"DD", MACHINE_DOMAIN + "-516"}, {"DG", MACHINE_DOMAIN + "-514"}, {"DU", MACHINE_DOMAIN + "-513"},
                {"EA", MACHINE_DOMAIN + "-519"}, {"ED", "S-1-5-9"}, {"EK", MACHINE_DOMAIN + "-527"},
                {"ER", "S-1-5-32-573"}, {"ES", "S-1-5-32-576"}, {"HA", "S-1-5-32-578"}, {"HI", "S-1-16-12288"},
                {"IS", "S-1-5-32-568"}, {"IU", "S-1-5-4"}, {"KA", MACHINE_DOMAIN + "-526"},
                {"LA", MACHINE_DOMAIN + "-500"}, {"LG", MACHINE_DOMAIN + "-501"}, {"LS", "S-1-5-19"},
                {"LU", "S-1-5-32-559"}, {"LW", "S-1-16-4096"}, {"ME", "S-1-16-8192"}, {"MP", "S-1-16-8448"},
                {"MS", "S-1-5-32-577"}, {"MU", "S-1-5-32-558"}, {"NO", "S-1-5-32-556"}, {"NS", "S-1-5-20"},
                {"NU", "S-1-5-2"}, {"OW", "S-1-3-4"}, {"PA", MACHINE_DOMAIN + "-520"}, {"PO", "S-1-5-32-550"},
                {"PS", "S-1-5-10"}, {"PU", "S-1-5-32-547"}, {"RA", "S-1-5-32-575"}, {"RC", "S-1-5-12"},
                {"RD", "S-1-5-32-555"}, {"RE", "S-1-5-32-552"}, {"RM", "S-1-5-32-580"}, {"RO", MACHINE_DOMAIN + "-498"},
                {"RS", MACHINE_DOMAIN + "-553"}, {"RU", "S-1-5-32-554"}, {"SA", MACHINE_DOMAIN + "-518"},
                {"SI", "S-1-16-16384"}, {"SO", "S-1-5-32-549"}, {"SS", "S-1-18-2"}, {"SU", "S-1-5-6"},
                {"SY", "S-1-5-18"}, {"UD", "S-1-5-84-0-0-0-0-0"}, {"WD", "S-1-1-0"}, {"WR", "S-1-5-33"},
        };
        for (String[] row : table) {
            SIDS.put(row[0], row[1]);
            ALIASES.put(row[1], row[0]);
        }
    }

    /** A named value: an access right, an ACE type, an ACE flag or a control flag. */
    record Name(String text, int value) {
    }

    /**
     * Access-right names a mask may be written with. The first eight are whole masks that are only
     * written alone when the mask equals them exactly (FILE_ALL_ACCESS and friends); the rest are
     * single bits.
     */
    static final List<Name> WHOLE_RIGHTS = List.of(
            new Name("FA", 0x001F01FF), new Name("FR", 0x00120089), new Name("FW", 0x00120116),
            new Name("FX", 0x001200A0), new Name("KA", 0x000F003F), new Name("KR", 0x00020019),
            new Name("KW", 0x00020006), new Name("KX", 0x00020019));

    /** Single-bit right names, by bit position (null: a bit SDDL has no name for). */
    static final String[] BIT_RIGHTS = new String[32];
    /** The mandatory label ACE's three policy bits, by bit position. */
    static final String[] LABEL_RIGHTS = {"NW", "NR", "NX"};

    static {
        String[][] bits = {
                {"CC", "0"}, {"DC", "1"}, {"LC", "2"}, {"SW", "3"}, {"RP", "4"}, {"WP", "5"}, {"DT", "6"},
                {"LO", "7"}, {"CR", "8"}, {"SD", "16"}, {"RC", "17"}, {"WD", "18"}, {"WO", "19"},
                {"GA", "28"}, {"GX", "29"}, {"GW", "30"}, {"GR", "31"},
        };
        for (String[] b : bits) {
            BIT_RIGHTS[Integer.parseInt(b[1])] = b[0];
        }
    }

    /** The value of a two-letter right name, or -1 (the caller has already ruled out hex). */
    static long right(String name, boolean label) {
        if (label) {
            for (int i = 0; i < LABEL_RIGHTS.length; i++) {
                if (LABEL_RIGHTS[i].equals(name)) {
                    return 1L << i;
                }
            }
        }
        for (Name n : WHOLE_RIGHTS) {
            if (n.text().equals(name)) {
                return Integer.toUnsignedLong(n.value());
            }
        }
        for (int i = 0; i < BIT_RIGHTS.length; i++) {
            if (name.equals(BIT_RIGHTS[i])) {
                return 1L << i;
            }
        }
        return -1;
    }

    // ACE types (winnt.h) and their SDDL names.
    static final int ACCESS_ALLOWED = 0x00;
    static final int ACCESS_DENIED = 0x01;
    static final int SYSTEM_AUDIT = 0x02;
    static final int SYSTEM_ALARM = 0x03;
    static final int ACCESS_ALLOWED_OBJECT = 0x05;
    static final int ACCESS_DENIED_OBJECT = 0x06;
    static final int SYSTEM_AUDIT_OBJECT = 0x07;
    static final int SYSTEM_ALARM_OBJECT = 0x08;
    static final int ACCESS_ALLOWED_CALLBACK = 0x09;
    static final int ACCESS_DENIED_CALLBACK = 0x0A;
    static final int ACCESS_ALLOWED_CALLBACK_OBJECT = 0x0B;
    static final int SYSTEM_AUDIT_CALLBACK = 0x0D;
    static final int SYSTEM_MANDATORY_LABEL = 0x11;
    static final int SYSTEM_SCOPED_POLICY_ID = 0x13;
    static final int SYSTEM_PROCESS_TRUST_LABEL = 0x14;

    static final List<Name> ACE_TYPES = List.of(
            new Name("A", ACCESS_ALLOWED), new Name("D", ACCESS_DENIED), new Name("AU", SYSTEM_AUDIT),
            new Name("AL", SYSTEM_ALARM), new Name("OA", ACCESS_ALLOWED_OBJECT), new Name("OD", ACCESS_DENIED_OBJECT),
            new Name("OU", SYSTEM_AUDIT_OBJECT), new Name("OL", SYSTEM_ALARM_OBJECT),
            new Name("XA", ACCESS_ALLOWED_CALLBACK), new Name("XD", ACCESS_DENIED_CALLBACK),
            new Name("ZA", ACCESS_ALLOWED_CALLBACK_OBJECT), new Name("XU", SYSTEM_AUDIT_CALLBACK),
            new Name("ML", SYSTEM_MANDATORY_LABEL), new Name("SP", SYSTEM_SCOPED_POLICY_ID),
            new Name("TL", SYSTEM_PROCESS_TRUST_LABEL));

    /** Whether an ACE type carries the object-ACE body (Flags, optional GUIDs). */
    static boolean objectAce(int type) {
        return type == ACCESS_ALLOWED_OBJECT || type == ACCESS_DENIED_OBJECT || type == SYSTEM_AUDIT_OBJECT
                || type == SYSTEM_ALARM_OBJECT || type == ACCESS_ALLOWED_CALLBACK_OBJECT;
    }

    /** ACE flags in the order Windows writes them (ascending bit). */
    static final List<Name> ACE_FLAGS = List.of(
            new Name("OI", 0x01), new Name("CI", 0x02), new Name("NP", 0x04), new Name("IO", 0x08),
            new Name("ID", 0x10), new Name("CR", 0x20), new Name("SA", 0x40), new Name("FA", 0x80));

    // Control flags written after "D:" and "S:".
    static final int SE_DACL_AUTO_INHERIT_REQ = 0x0100;
    static final int SE_SACL_AUTO_INHERIT_REQ = 0x0200;
    static final int SE_DACL_AUTO_INHERITED = 0x0400;
    static final int SE_SACL_AUTO_INHERITED = 0x0800;
    static final int SE_DACL_PROTECTED = 0x1000;
    static final int SE_SACL_PROTECTED = 0x2000;

    /** A DACL's or SACL's flag names with their Control bits, in the order Windows writes them. */
    static List<Name> aclFlags(boolean dacl) {
        return dacl
                ? List.of(new Name("P", SE_DACL_PROTECTED), new Name("AR", SE_DACL_AUTO_INHERIT_REQ),
                new Name("AI", SE_DACL_AUTO_INHERITED))
                : List.of(new Name("P", SE_SACL_PROTECTED), new Name("AR", SE_SACL_AUTO_INHERIT_REQ),
                new Name("AI", SE_SACL_AUTO_INHERITED));
    }

    static final String NO_ACCESS_CONTROL = "NO_ACCESS_CONTROL";

    private SddlAliases() {
    }
}
