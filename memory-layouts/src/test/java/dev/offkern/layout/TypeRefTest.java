package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.ke.KTIMER;
import dev.offkern.layout.rtl.LARGE_INTEGER;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Every member of every registered layout has a declared type offkern can describe: each scalar is a
 * known integer, enumeration or pointer, each pointer's target is in {@link Pointee}'s catalogue, and
 * each type's size is the member's size.
 */
class TypeRefTest {

    @ParameterizedTest
    @EnumSource(Abi.class)
    void shouldClassifyEveryMembersTypeAndPointerTarget(Abi abi) {
        List<String> problems = new ArrayList<>();
        for (StructSpec s : Structures.all(abi)) {
            for (Field f : s.fields()) {
                TypeRef t = s.typeOf(f);
                check(t, s.name() + "." + f.name(), problems);
                long expected = f.isBitField() ? f.size() : t.size();
                if (expected != f.size()) {
                    problems.add(s.name() + "." + f.name() + ": type " + t.spelling() + " is " + t.size()
                            + " bytes, the member " + f.size());
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @Test
    void shouldTellPointersIntegersAndEnumerationsApart() {
        assertTrue(CType.PVOID.isPointer());
        assertTrue(CType.pointer("PKDPC").isPointer());
        assertFalse(CType.ULONG_PTR.isPointer(), "ULONG_PTR is an integer the size of a pointer");
        assertTrue(CType.LONG.isSigned());
        assertFalse(CType.ULONG.isSigned());
        assertTrue(CType.ENUM.isEnum() && CType.ENUM.isSigned());
        assertFalse(new CType("MYSTERY", 4, 4).isClassified());
        assertEquals(Pointee.Kind.UNKNOWN, Pointee.of(CType.pointer("PMYSTERY")).kind());
        assertEquals(Pointee.Kind.FUNCTION, Pointee.of(CType.pointer("PKDEFERRED_ROUTINE")).kind());
        assertEquals("WCHAR", Pointee.of(CType.pointer("PWSTR")).name());
    }

    @Test
    void shouldRecordUnionsAndTheTypesOfNestedMembers() {
        assertTrue(LARGE_INTEGER.X64.isUnion());
        assertFalse(KTIMER.X64.isUnion());
        TypeRef header = KTIMER.X64.typeOf("Header");
        assertInstanceOf(TypeRef.Named.class, header);
        assertEquals("DISPATCHER_HEADER", header.spelling());
        TypeRef u = LARGE_INTEGER.X86.typeOf("u");
        assertEquals(new TypeRef.Inline(false, 8, 4), u);
        TypeRef low = LARGE_INTEGER.X86.typeOf("u.LowPart");
        assertEquals("ULONG", low.spelling());
    }

    private static void check(TypeRef t, String where, List<String> problems) {
        switch (t) {
            case TypeRef.Scalar s -> {
                if (!s.type().isClassified()) {
                    problems.add(where + ": " + s.type().name() + " is not a known integer or enumeration (CType)");
                }
            }
            case TypeRef.Pointer p -> {
                if (p.target().kind() == Pointee.Kind.UNKNOWN) {
                    problems.add(where + ": pointer type " + p.type().name() + " is missing from Pointee's catalogue");
                }
            }
            case TypeRef.Array a -> check(a.element(), where + "[]", problems);
            case TypeRef.Named n -> {
            }
            case TypeRef.Inline i -> {
            }
        }
    }
}
