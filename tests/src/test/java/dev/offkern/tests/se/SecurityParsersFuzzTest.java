package dev.offkern.tests.se;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.layout.rtl.UNICODE_STRING;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.PoolFlags;
import dev.offkern.nt.Win32Error;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer fuzz targets for the parsers of untrusted bytes in {@code dev.offkern.runtime.se}, reached
 * through {@code dev.offkern.ddi}: the SID parser, the ACL walker, the self-relative descriptor parser
 * and the SDDL parser. Without {@code JAZZER_FUZZ} each target replays its committed corpus
 * ({@code src/test/resources/dev/offkern/tests/se/SecurityParsersFuzzTestInputs/<target>/}) as one
 * JUnit test per file; {@code JAZZER_FUZZ=1} fuzzes it (docs/fuzzing.md).
 *
 * <p>Every target gives the fuzzer's bytes to the routines twice: as a sized segment of exactly
 * their length (a read past it would be an IndexOutOfBoundsException, a failure here), and as a raw
 * pointer to the last bytes of a pool block whose first bytes are a canary ({@link Guarded}; the
 * special pool bounds the raw pointer to the block). The property: only the routine's documented
 * outcomes (a BOOLEAN, an NTSTATUS from the documented set, a BOOL with a documented Win32 error in
 * {@code RtlGetLastWin32Error}), the same answer for both buffers, the canary intact, read-only
 * routines leave the input as it was, and results agree with a model of the format where one is
 * short (a SID's validity and length). SDDL: parse, format, parse, format gives the same string and
 * the same binary descriptor twice.
 */
class SecurityParsersFuzzTest {

    private static final Set<Integer> SID_STATUSES = Set.of(NtStatus.STATUS_SUCCESS, NtStatus.STATUS_INVALID_SID);
    private static final Set<Integer> SDDL_ERRORS = Set.of(Win32Error.ERROR_INVALID_PARAMETER, Win32Error.ERROR_INVALID_ACL,
            Win32Error.ERROR_INVALID_SID, Win32Error.ERROR_UNKNOWN_REVISION, Win32Error.ERROR_INVALID_SECURITY_DESCR,
            Win32Error.ERROR_NONE_MAPPED);
    private static final int SE_SELF_RELATIVE = 0x8000;
    /**
     * SIDs that Windows formats but its SDDL parser refuses (ERROR_INVALID_SID), so a descriptor holding
     * one has no round trip: one without sub-authorities ("S-1-5", Wine's test_sid), and one whose
     * Revision byte is not 1 but passes RtlValidSid, which tests only its low nibble ("S-33-...").
     */
    private static final Pattern NO_SUB_AUTHORITIES = Pattern.compile(
            "S-(?!1-)[0-9]+-|S-[0-9]+-(0x[0-9A-Fa-f]++|[0-9]++(?!x))(?!-)");
    private static final int ALL_INFORMATION = 0xF;
    private static final int POOL_TAG = 'F' | 'z' << 8 | 'O' << 16 | 'u' << 24;

    private static Kernel kernel;

    @BeforeAll
    static void boot() {
        kernel = Kernel.boot();
    }

    @AfterAll
    static void close() {
        kernel.close();
    }

    // ===== SID =====

    /** RtlValidSid, RtlLengthSid and RtlConvertSidToUnicodeString on the bytes as a SID. */
    @FuzzTest(maxDuration = "3m")
    void sid(byte[] input) {
        kernel.attach();
        boolean expected = input.length >= 8 && (input[0] & 0x0F) == 1 && (input[1] & 0xFF) <= 15
                && 8 + 4 * (input[1] & 0xFF) <= input.length;
        try (Arena arena = Arena.ofConfined(); Guarded guarded = Guarded.holding(input)) {
            if (input.length > 0) {
                sidOn(arena.allocate(input.length).copyFrom(MemorySegment.ofArray(input)), input, expected, arena);
            }
            sidOn(guarded.pointer(), input, expected, arena);
            guarded.check("the SID routines", true);
        }
    }

    private static void sidOn(MemorySegment sid, byte[] input, boolean expected, Arena arena) {
        boolean valid = Rtl.RtlValidSid(sid);
        if (valid != expected) {
            throw new AssertionError("RtlValidSid says " + valid + " for " + hex(input));
        }
        if (input.length >= 2 && Rtl.RtlLengthSid(sid) != 8 + 4 * (input[1] & 0xFF)) {
            throw new AssertionError("RtlLengthSid says " + Rtl.RtlLengthSid(sid) + " for " + hex(input));
        }
        MemorySegment us = arena.allocate(UNICODE_STRING.LAYOUT.byteSize());
        int status = Rtl.RtlConvertSidToUnicodeString(us, sid, true);
        if (!SID_STATUSES.contains(status) || (status == NtStatus.STATUS_SUCCESS) != valid) {
            throw new AssertionError("RtlConvertSidToUnicodeString returned 0x" + Integer.toHexString(status)
                    + " for a SID RtlValidSid says is " + (valid ? "valid" : "not valid") + ": " + hex(input));
        }
        if (status != NtStatus.STATUS_SUCCESS) {
            return;
        }
        int chars = Short.toUnsignedInt(us.get(JAVA_SHORT_UNALIGNED, UNICODE_STRING.LENGTH_OFFSET)) / 2;
        String text = wide(MemorySegment.ofAddress(us.get(JAVA_LONG_UNALIGNED, UNICODE_STRING.BUFFER_OFFSET)), chars);
        Rtl.RtlFreeUnicodeString(us);
        if (input[0] == 1 && input[1] != 0) {
            // the string names the same SID: ConvertStringSidToSidW gives back the bytes (it refuses a SID
            // without sub-authorities, "S-1-5", as Windows does: Wine's test_sid)
            byte[] back = stringToSid(text);
            byte[] sidBytes = Arrays.copyOf(input, 8 + 4 * (input[1] & 0xFF));
            if (back == null || !Arrays.equals(back, sidBytes)) {
                throw new AssertionError(text + " does not convert back to " + hex(sidBytes) + " (got "
                        + (back == null ? "error " + Rtl.RtlGetLastWin32Error() : hex(back)) + ")");
            }
        }
    }

    // ===== ACL =====

    /** RtlValidAcl, RtlGetAce for every index up to AceCount, then RtlDeleteAce (writes) on the bytes as an ACL. */
    @FuzzTest(maxDuration = "3m")
    void acl(byte[] input) {
        kernel.attach();
        try (Arena arena = Arena.ofConfined(); Guarded guarded = Guarded.holding(input)) {
            Boolean sizedValid = null;
            if (input.length > 0) {
                MemorySegment sized = arena.allocate(input.length).copyFrom(MemorySegment.ofArray(input));
                sizedValid = aclOn(sized, input, arena);
            }
            boolean pointerValid = aclOn(guarded.pointer(), input, arena);
            if (sizedValid != null && sizedValid != pointerValid) {
                throw new AssertionError("RtlValidAcl answers " + sizedValid + " for a sized buffer and " + pointerValid
                        + " for a raw pointer to the same bytes: " + hex(input));
            }
            guarded.check("RtlValidAcl/RtlGetAce", true);
            if (input.length >= 8) {
                int status = Rtl.RtlDeleteAce(guarded.pointer(), 0);
                if (status != NtStatus.STATUS_SUCCESS && status != NtStatus.STATUS_INVALID_PARAMETER) {
                    throw new AssertionError("RtlDeleteAce returned 0x" + Integer.toHexString(status));
                }
                guarded.check("RtlDeleteAce", false);
                if (status == NtStatus.STATUS_SUCCESS && pointerValid && !Rtl.RtlValidAcl(guarded.pointer())) {
                    throw new AssertionError("deleting ACE 0 of a valid ACL made it invalid: " + hex(input));
                }
            }
        }
    }

    private static boolean aclOn(MemorySegment acl, byte[] input, Arena arena) {
        boolean valid = Rtl.RtlValidAcl(acl);
        if (input.length < 8) {
            if (valid) {
                throw new AssertionError("RtlValidAcl accepts " + input.length + " bytes");
            }
            return false;
        }
        int count = Short.toUnsignedInt(MemorySegment.ofArray(input).get(JAVA_SHORT_UNALIGNED, 4));
        int aclSize = Short.toUnsignedInt(MemorySegment.ofArray(input).get(JAVA_SHORT_UNALIGNED, 2));
        long base = acl.address();
        long end = base + Math.min(aclSize, input.length);
        MemorySegment out = arena.allocate(8);
        long previous = base;
        for (int i = 0; i <= Math.min(count, 300); i++) {
            out.set(JAVA_LONG_UNALIGNED, 0, 0);
            int status = Rtl.RtlGetAce(acl, i, out);
            if (status == NtStatus.STATUS_INVALID_PARAMETER) {
                if (valid && i < count) {
                    throw new AssertionError("RtlGetAce(" + i + ") of a valid ACL of " + count + " ACEs failed: " + hex(input));
                }
                continue;
            }
            if (status != NtStatus.STATUS_SUCCESS || i >= count) {
                throw new AssertionError("RtlGetAce(" + i + ") of an ACL of " + count + " ACEs returned 0x"
                        + Integer.toHexString(status) + ": " + hex(input));
            }
            long ace = out.get(JAVA_LONG_UNALIGNED, 0);
            if (ace <= previous || ace + 4 > end) {
                throw new AssertionError("RtlGetAce(" + i + ") points at offset " + (ace - base) + ", outside the "
                        + (end - base) + " bytes of the ACL (or not after the ACE before it): " + hex(input));
            }
            int aceSize = Short.toUnsignedInt(MemorySegment.ofArray(input).get(JAVA_SHORT_UNALIGNED, ace - base + 2));
            if (ace + aceSize > end) {
                throw new AssertionError("RtlGetAce(" + i + ") returned an ACE of " + aceSize + " bytes at offset "
                        + (ace - base) + " that runs past the ACL's " + (end - base) + " bytes: " + hex(input));
            }
            previous = ace;
        }
        return valid;
    }

    // ===== Self-relative security descriptors =====

    /**
     * RtlValidRelativeSecurityDescriptor (true and lying lengths, no and every required component),
     * RtlValidSecurityDescriptor, RtlSelfRelativeToAbsoluteSD (size query, then exact buffers) and
     * ConvertSecurityDescriptorToStringSecurityDescriptorW on the bytes as a self-relative descriptor.
     */
    @FuzzTest(maxDuration = "3m")
    void selfRelativeDescriptor(byte[] input) {
        kernel.attach();
        try (Arena arena = Arena.ofConfined(); Guarded guarded = Guarded.holding(input)) {
            Boolean sized = null;
            if (input.length > 0) {
                sized = descriptorOn(arena.allocate(input.length).copyFrom(MemorySegment.ofArray(input)), input, arena);
            }
            boolean pointer = descriptorOn(guarded.pointer(), input, arena);
            if (sized != null && sized != pointer) {
                throw new AssertionError("RtlValidRelativeSecurityDescriptor answers " + sized + " for a sized buffer and "
                        + pointer + " for a raw pointer to the same bytes: " + hex(input));
            }
            guarded.check("the descriptor routines", true);
        }
    }

    private static boolean descriptorOn(MemorySegment sd, byte[] input, Arena arena) {
        int n = input.length;
        boolean valid = Rtl.RtlValidRelativeSecurityDescriptor(sd, n, 0);
        for (int lie : new int[]{n + 64, -1}) {
            if (Rtl.RtlValidRelativeSecurityDescriptor(sd, lie, 0) != valid) {
                throw new AssertionError("RtlValidRelativeSecurityDescriptor changes its answer when the length claims "
                        + Integer.toUnsignedString(lie) + " instead of the buffer's " + n + ": " + hex(input));
            }
        }
        if (n > 0 && Rtl.RtlValidRelativeSecurityDescriptor(sd, n - 1, 0) && !valid) {
            throw new AssertionError("RtlValidRelativeSecurityDescriptor accepts a prefix but not the whole: " + hex(input));
        }
        if (Rtl.RtlValidRelativeSecurityDescriptor(sd, n, ALL_INFORMATION) && !valid) {
            throw new AssertionError("RtlValidRelativeSecurityDescriptor accepts with every component required but not "
                    + "with none: " + hex(input));
        }
        boolean anyForm = Rtl.RtlValidSecurityDescriptor(sd);
        if (valid && !anyForm) {
            throw new AssertionError("RtlValidSecurityDescriptor refuses a descriptor RtlValidRelativeSecurityDescriptor "
                    + "accepts: " + hex(input));
        }
        if (n >= 20) {
            toAbsolute(sd, input, valid, arena);
        }
        if (n > 0) {                                    // an empty buffer is no memory: ERROR_NOACCESS
            toSddl(sd, input, valid, arena);
        }
        return valid;
    }

    private static void toAbsolute(MemorySegment sd, byte[] input, boolean valid, Arena arena) {
        MemorySegment sizes = arena.allocate(20);             // absolute, DACL, SACL, owner, group
        int status = selfRelativeToAbsolute(sd, sizes, new MemorySegment[5]);
        boolean selfRelative = (Short.toUnsignedInt(MemorySegment.ofArray(input).get(JAVA_SHORT_UNALIGNED, 2))
                & SE_SELF_RELATIVE) != 0;
        if (!selfRelative) {
            if (status != NtStatus.STATUS_BAD_DESCRIPTOR_FORMAT) {
                throw new AssertionError("RtlSelfRelativeToAbsoluteSD of an absolute descriptor returned 0x"
                        + Integer.toHexString(status));
            }
            return;
        }
        if (status == NtStatus.STATUS_INVALID_SECURITY_DESCR) {
            return;
        }
        if (status != NtStatus.STATUS_BUFFER_TOO_SMALL) {
            throw new AssertionError("RtlSelfRelativeToAbsoluteSD's size query returned 0x" + Integer.toHexString(status)
                    + ": " + hex(input));
        }
        MemorySegment[] buffers = new MemorySegment[5];
        try {
            for (int i = 0; i < 5; i++) {
                int size = sizes.get(JAVA_INT_UNALIGNED, 4L * i);
                if (size < 0 || size > 0x10000 + 40) {
                    throw new AssertionError("RtlSelfRelativeToAbsoluteSD asks for " + Integer.toUnsignedString(size)
                            + " bytes for output " + i + ": " + hex(input));
                }
                buffers[i] = size == 0 ? MemorySegment.NULL : Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, size, POOL_TAG);
            }
            status = selfRelativeToAbsolute(sd, sizes, buffers);
            if (status != NtStatus.STATUS_SUCCESS) {
                throw new AssertionError("RtlSelfRelativeToAbsoluteSD with the sizes it asked for returned 0x"
                        + Integer.toHexString(status) + ": " + hex(input));
            }
            if (valid && !Rtl.RtlValidSecurityDescriptor(buffers[0])) {
                throw new AssertionError("the absolute form of a valid self-relative descriptor is not valid: " + hex(input));
            }
        } finally {
            for (MemorySegment b : buffers) {
                if (b != null && !b.equals(MemorySegment.NULL)) {
                    Ex.ExFreePoolWithTag(b, POOL_TAG);
                }
            }
        }
    }

    private static int selfRelativeToAbsolute(MemorySegment sd, MemorySegment sizes, MemorySegment[] buffers) {
        MemorySegment[] b = new MemorySegment[5];
        for (int i = 0; i < 5; i++) {
            b[i] = buffers[i] == null ? MemorySegment.NULL : buffers[i];
        }
        return Rtl.RtlSelfRelativeToAbsoluteSD(sd, b[0], sizes.asSlice(0, 4), b[1], sizes.asSlice(4, 4), b[2],
                sizes.asSlice(8, 4), b[3], sizes.asSlice(12, 4), b[4], sizes.asSlice(16, 4));
    }

    private static void toSddl(MemorySegment sd, byte[] input, boolean valid, Arena arena) {
        MemorySegment out = arena.allocate(8);
        MemorySegment length = arena.allocate(4);
        Rtl.RtlSetLastWin32Error(0);
        if (!Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, ALL_INFORMATION, out, length)) {
            expectDocumented("ConvertSecurityDescriptorToStringSecurityDescriptorW", input);
            // a valid ACL may hold an ACE type SDDL has no name for (RtlValidAcl does not judge types it
            // does not read): ERROR_INVALID_ACL; any other error for a valid descriptor is a failure
            if (valid && Rtl.RtlGetLastWin32Error() != Win32Error.ERROR_INVALID_ACL) {
                throw new AssertionError("a valid self-relative descriptor cannot be formatted (error "
                        + Rtl.RtlGetLastWin32Error() + "): " + hex(input));
            }
            return;
        }
        MemorySegment string = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        String text = wide(string, length.get(JAVA_INT_UNALIGNED, 0) - 1);
        Ex.ExFreePool(string);
        if (valid && !NO_SUB_AUTHORITIES.matcher(text).find()) {
            stable(text);
        }
    }

    // ===== SDDL =====

    /**
     * ConvertStringSecurityDescriptorToSecurityDescriptorW on the bytes read as UTF-16LE (a buffer of
     * exactly their length, usually without a NUL) and on the bytes decoded as UTF-8 (NUL-terminated);
     * what parses is formatted, parsed and formatted again: the same string, the same descriptor.
     */
    @FuzzTest(maxDuration = "3m")
    void sddl(byte[] input) {
        kernel.attach();
        try (Arena arena = Arena.ofConfined(); Guarded raw = Guarded.holding(input)) {
            MemorySegment out = arena.allocate(8);
            if (input.length == 0) {
                return;                                     // an empty buffer is no memory: ERROR_NOACCESS
            }
            Rtl.RtlSetLastWin32Error(0);
            if (Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(raw.pointer(), 1, out, MemorySegment.NULL)) {
                Ex.ExFreePool(MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)));
            } else {
                expectDocumented("ConvertStringSecurityDescriptorToSecurityDescriptorW", input);
            }
            raw.check("ConvertStringSecurityDescriptorToSecurityDescriptorW", true);
        }
        String text = new String(input, StandardCharsets.UTF_8);
        byte[] first = onGuardedString(text, SecurityParsersFuzzTest::parse);
        if (first != null) {
            stable(format(first, text));
        }
    }

    /** ConvertStringSidToSidW on the bytes decoded as UTF-8; a SID it makes converts back and forth unchanged. */
    @FuzzTest(maxDuration = "3m")
    void stringSid(byte[] input) {
        kernel.attach();
        String text = new String(input, StandardCharsets.UTF_8);
        byte[] sid = onGuardedString(text, s -> {
            MemorySegment out = Arena.ofAuto().allocate(8);
            Rtl.RtlSetLastWin32Error(0);
            if (!Se.ConvertStringSidToSidW(s, out)) {
                expectDocumented("ConvertStringSidToSidW", input);
                return null;
            }
            MemorySegment p = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
            byte[] bytes = p.reinterpret(Rtl.RtlLengthSid(p)).toArray(JAVA_BYTE);
            Ex.ExFreePool(p);
            return bytes;
        });
        if (sid == null) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment binary = arena.allocate(sid.length).copyFrom(MemorySegment.ofArray(sid));
            if (!Rtl.RtlValidSid(binary)) {
                throw new AssertionError("ConvertStringSidToSidW made an invalid SID " + hex(sid) + " of " + text);
            }
            MemorySegment out = arena.allocate(8);
            if (!Se.ConvertSidToStringSidW(binary, out)) {
                throw new AssertionError("ConvertSidToStringSidW refuses the SID of " + text);
            }
            MemorySegment p = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
            String back = wide(p, 2 * 15 * 11 + 40);
            Ex.ExFreePool(p);
            byte[] again = stringToSid(back);
            if (again == null || !Arrays.equals(again, sid)) {
                throw new AssertionError(text + " -> " + back + " does not convert back to the same SID");
            }
        }
    }

    // ===== helpers =====

    /** {@code text} as a NUL-terminated UTF-16LE string at the end of a guarded pool block, given to {@code routine}. */
    private static <T> T onGuardedString(String text, Function<MemorySegment, T> routine) {
        byte[] utf16 = new byte[2 * text.length() + 2];
        MemorySegment.ofArray(utf16).copyFrom(MemorySegment.ofArray(text.getBytes(StandardCharsets.UTF_16LE)));
        try (Guarded g = Guarded.holding(utf16)) {
            T result = routine.apply(g.pointer());
            g.check("the SDDL parser", true);
            return result;
        }
    }

    /** The self-relative descriptor of {@code text} (a string segment), or null after checking the error is documented. */
    private static byte[] parse(MemorySegment text) {
        MemorySegment out = Arena.ofAuto().allocate(12);
        Rtl.RtlSetLastWin32Error(0);
        if (!Se.ConvertStringSecurityDescriptorToSecurityDescriptorW(text, 1, out.asSlice(0, 8), out.asSlice(8, 4))) {
            expectDocumented("ConvertStringSecurityDescriptorToSecurityDescriptorW", null);
            return null;
        }
        int size = out.get(JAVA_INT_UNALIGNED, 8);
        MemorySegment sd = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(size);
        byte[] bytes = sd.toArray(JAVA_BYTE);
        boolean valid = Rtl.RtlValidRelativeSecurityDescriptor(sd, size, 0);
        Ex.ExFreePool(MemorySegment.ofAddress(sd.address()));
        if (!valid) {
            throw new AssertionError("the SDDL parser made a descriptor RtlValidRelativeSecurityDescriptor refuses: "
                    + hex(bytes));
        }
        return bytes;
    }

    /** The canonical SDDL of a self-relative descriptor the parser made from {@code source}. */
    private static String format(byte[] descriptor, String source) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sd = arena.allocate(descriptor.length).copyFrom(MemorySegment.ofArray(descriptor));
            MemorySegment out = arena.allocate(12);
            if (!Se.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, ALL_INFORMATION, out.asSlice(0, 8),
                    out.asSlice(8, 4))) {
                throw new AssertionError("the descriptor parsed from \"" + source + "\" cannot be formatted (error "
                        + Rtl.RtlGetLastWin32Error() + ")");
            }
            MemorySegment string = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
            String text = wide(string, out.get(JAVA_INT_UNALIGNED, 8) - 1);
            Ex.ExFreePool(string);
            return text;
        }
    }

    /** Canonical SDDL {@code text} parses, and its descriptor formats to {@code text} again and parses to the same bytes. */
    private static void stable(String text) {
        byte[] once = onGuardedString(text, SecurityParsersFuzzTest::parse);
        if (once == null) {
            throw new AssertionError("the canonical form \"" + text + "\" does not parse (error " + Rtl.RtlGetLastWin32Error()
                    + ")");
        }
        String again = format(once, text);
        if (!again.equals(text)) {
            throw new AssertionError("SDDL is not stable: \"" + text + "\" formats back as \"" + again + "\"");
        }
        byte[] twice = onGuardedString(again, SecurityParsersFuzzTest::parse);
        if (!Arrays.equals(once, twice)) {
            throw new AssertionError("\"" + text + "\" parses to " + hex(once) + " then " + hex(twice));
        }
    }

    private static byte[] stringToSid(String text) {
        MemorySegment out = Arena.ofAuto().allocate(8);
        if (!Se.ConvertStringSidToSidW(text, out)) {
            return null;
        }
        MemorySegment p = MemorySegment.ofAddress(out.get(JAVA_LONG_UNALIGNED, 0));
        byte[] bytes = p.reinterpret(Rtl.RtlLengthSid(p)).toArray(JAVA_BYTE);
        Ex.ExFreePool(p);
        return bytes;
    }

    private static void expectDocumented(String routine, byte[] input) {
        int error = Rtl.RtlGetLastWin32Error();
        if (!SDDL_ERRORS.contains(error)) {
            throw new AssertionError(routine + " failed with Win32 error " + error + ", not one of its documented errors"
                    + (input == null ? "" : ": " + hex(input)));
        }
    }

    /** At most {@code chars} UTF-16 characters of the string at {@code p}, stopping at its NUL. */
    private static String wide(MemorySegment p, int chars) {
        MemorySegment s = p.reinterpret(2L * chars);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < chars; i++) {
            char c = (char) s.get(JAVA_SHORT_UNALIGNED, 2L * i);
            if (c == 0) {
                break;
            }
            b.append(c);
        }
        return b.toString();
    }

    private static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 512));
    }
}
