package dev.offkern.tests.fuzz;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.Win32Error;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

/**
 * The SDDL conversions: random well-formed descriptor strings built from the grammar's pieces, whose
 * round trip (string, binary, canonical string, binary) must be stable; the same strings with a
 * character replaced, dropped or repeated, which may be accepted or refused but only with one of the
 * documented Win32 errors; and hostile pointers for every parameter. Results are freed with
 * ExFreePool. Private pool block of 8 KiB: out parameters at 0 (pointer) and 8 (length), the string
 * from 64.
 */
final class SddlOps {
    private SddlOps() {
    }

    private static final int TAG = 'S' | 'd' << 8 | 'F' << 16 | 'z' << 24;
    private static final String[] SIDS = {"WD", "SY", "BA", "BU", "LA", "DA", "CO", "OW", "LW", "HI", "S-1-5-21-1-2-3-1105",
            "S-1-0-0", "S-1-0x123456789ABC-1", "S-1-5-32-544", "S-1-16-8448"};
    private static final String[] TYPES = {"A", "D", "AU", "AL", "OA", "OD", "OU", "OL", "XA", "XD", "ZA", "XU", "ML", "SP", "TL"};
    private static final String[] FLAGS = {"", "OI", "CI", "OICI", "CIIO", "NP", "ID", "SA", "FA", "SAFA", "OICINPIOIDSAFA"};
    private static final String[] RIGHTS = {"", "GA", "GRGW", "FA", "FR", "KR", "KX", "CCDCLCSWRPWP", "0x1200a9", "0xFFFFFFFF",
            "017", "42", "RCSDWDWO", "NWNRNX"};
    private static final Set<Integer> DOCUMENTED = Set.of(Win32Error.ERROR_INVALID_PARAMETER, Win32Error.ERROR_INVALID_ACL,
            Win32Error.ERROR_INVALID_SID, Win32Error.ERROR_UNKNOWN_REVISION, Win32Error.ERROR_INVALID_SECURITY_DESCR,
            Win32Error.ERROR_NOACCESS, Win32Error.ERROR_NOT_ENOUGH_MEMORY);

    static List<Op> ops() {
        return List.of(
                Op.of("se.sddl", 3, SddlOps::sddl, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                        "ConvertSecurityDescriptorToStringSecurityDescriptorW", "ConvertStringSidToSidW",
                        "ConvertSidToStringSidW", "RtlGetLastWin32Error", "RtlSetLastWin32Error"),
                Op.of("se.sddlHostile", 2, SddlOps::hostile, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                        "ConvertSecurityDescriptorToStringSecurityDescriptorW", "ConvertStringSidToSidW",
                        "ConvertSidToStringSidW"));
    }

    private static String pick(Ctx c, String[] from) {
        return from[c.n(from.length)];
    }

    private static String randomSddl(Ctx c) {
        StringBuilder s = new StringBuilder();
        if (c.p(0.6)) {
            s.append("O:").append(pick(c, SIDS));
        }
        if (c.p(0.6)) {
            s.append("G:").append(pick(c, SIDS));
        }
        for (String acl : new String[]{"D:", "S:"}) {
            if (!c.p(0.7)) {
                continue;
            }
            s.append(acl);
            if (c.p(0.2)) {
                s.append('P');
            }
            if (c.p(0.2)) {
                s.append("AI");
            }
            if (c.p(0.1)) {
                s.append("NO_ACCESS_CONTROL");
                continue;
            }
            int aces = c.n(5);
            for (int i = 0; i < aces; i++) {
                String type = pick(c, TYPES);
                String rights = pick(c, RIGHTS);
                if (rights.startsWith("N") && !type.equals("ML")) {
                    rights = "GA";                          // NW/NR/NX name only a label's policy bits
                }
                boolean object = type.length() == 2 && (type.charAt(0) == 'O' || type.equals("ZA"));
                s.append('(').append(type).append(';').append(pick(c, FLAGS)).append(';')
                        .append(rights).append(';')
                        .append(object && c.p(0.5) ? "ab721a53-1e2f-11d0-9819-00aa0040529b" : "").append(';')
                        .append(object && c.p(0.3) ? "BF967ABA-0DE6-11D0-A285-00AA003049E2" : "").append(';')
                        .append(pick(c, SIDS)).append(')');
            }
        }
        return s.toString();
    }

    private static String mutate(Ctx c, String s) {
        if (s.isEmpty()) {
            return "(";
        }
        int at = c.n(s.length());
        return switch (c.n(4)) {
            case 0 -> s.substring(0, at) + s.substring(at + 1);
            case 1 -> s.substring(0, at) + "();:-0xSDOG(".charAt(c.n(12)) + s.substring(at + 1);
            case 2 -> s.substring(0, at) + s.charAt(at) + s.substring(at);
            default -> s.substring(0, at) + (char) c.n(0x10000) + s.substring(at);
        };
    }

    private static void writeString(MemorySegment b, String text) {
        MemorySegment s = b.asSlice(64);
        int n = (int) Math.min(text.length(), s.byteSize() / 2 - 1);
        for (int i = 0; i < n; i++) {
            s.set(JAVA_SHORT_UNALIGNED, 2L * i, (short) text.charAt(i));
        }
        s.set(JAVA_SHORT_UNALIGNED, 2L * n, (short) 0);
    }

    private static void expectDocumented(String what) {
        int error = Rtl.RtlGetLastWin32Error();
        if (!DOCUMENTED.contains(error)) {
            throw new FuzzInvariantException(what + " failed with undocumented Win32 error " + error);
        }
    }

    static void sddl(Ctx c) {
        MemorySegment b = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8192, TAG);
        if (b.equals(MemorySegment.NULL)) {
            return;
        }
        String text = randomSddl(c);
        boolean mutated = c.p(0.4);
        if (mutated) {
            text = mutate(c, text);
        }
        c.note("sddl=" + text.replace('\0', '0'));
        writeString(b, text);
        Rtl.RtlSetLastWin32Error(0);
        MemorySegment out = b.asSlice(0, 8);
        MemorySegment length = b.asSlice(8, 4);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(b.asSlice(64), 1, out, length)) {
            if (!mutated) {
                throw new FuzzInvariantException("a well-formed SDDL string was refused with error " + Rtl.RtlGetLastWin32Error()
                        + ": " + text);
            }
            expectDocumented("ConvertStringSecurityDescriptorToSecurityDescriptorW");
            Ex.ExFreePoolWithTag(b, TAG);
            return;
        }
        MemorySegment sd = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        boolean formatted = Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, 0xF, out, length);
        Ex.ExFreePool(sd);
        if (!formatted) {
            throw new FuzzInvariantException("a descriptor the parser made cannot be formatted (error "
                    + Rtl.RtlGetLastWin32Error() + "): " + text);
        }
        MemorySegment canonical = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(canonical, 1, out, length)) {
            throw new FuzzInvariantException("the canonical form of " + text + " does not parse (error "
                    + Rtl.RtlGetLastWin32Error() + ")");
        }
        MemorySegment again = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        if (!Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(again, 1, 0xF, out, length)) {
            throw new FuzzInvariantException("the canonical form's descriptor cannot be formatted: " + text);
        }
        MemorySegment second = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        int chars = b.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8);
        String first = wide(canonical, chars);
        String stable = wide(second, chars);
        Ex.ExFreePool(canonical);
        Ex.ExFreePool(second);
        Ex.ExFreePool(again);
        if (!first.equals(stable)) {
            throw new FuzzInvariantException("SDDL canonical form is not stable: " + first + " then " + stable);
        }
        String sid = pick(c, SIDS);
        if (!Se.ConvertStringSidToSidW(sid, out)) {
            throw new FuzzInvariantException("ConvertStringSidToSidW refused " + sid);
        }
        MemorySegment binary = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        if (!Se.ConvertSidToStringSidW(binary, out)) {
            throw new FuzzInvariantException("ConvertSidToStringSidW refused the SID of " + sid);
        }
        Ex.ExFreePool(binary);
        Ex.ExFreePool(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
        Ex.ExFreePoolWithTag(b, TAG);
    }

    /** The first {@code chars} - 1 characters of a pool string (its length as the routine reported it). */
    private static String wide(MemorySegment s, int chars) {
        MemorySegment r = s.reinterpret(2L * chars);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < chars - 1; i++) {
            sb.append((char) r.get(JAVA_SHORT_UNALIGNED, 2L * i));
        }
        return sb.toString();
    }

    static void hostile(Ctx c) {
        MemorySegment bad = c.hostile(null, 64, false);
        MemorySegment out = c.hostile(null, 8, false);
        boolean ok = switch (c.n(4)) {
            case 0 -> Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(bad, c.p(0.8) ? 1 : c.anyInt(), out,
                    c.p(0.5) ? MemorySegment.NULL : c.hostile(null, 4, false));
            case 1 -> Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(bad, c.p(0.8) ? 1 : c.anyInt(), c.anyInt(), out,
                    c.p(0.5) ? MemorySegment.NULL : c.hostile(null, 4, false));
            case 2 -> Se.ConvertStringSidToSidW(bad, out);
            default -> Se.ConvertSidToStringSidW(bad, out);
        };
        if (!ok) {
            expectDocumented("an SDDL routine given hostile pointers");
        }
        // a success allocated a result the fuzzer cannot safely free (out may alias live memory): it is
        // reported at close like any other block the hostile run left behind
    }
}
