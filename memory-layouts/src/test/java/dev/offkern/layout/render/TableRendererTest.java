package dev.offkern.layout.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Structures;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableRendererTest {

    @Test
    void shouldStartEachStructureWithItsHeaderLine() {
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X86, List.of(Structures.get("KTIMER", Abi.X86),
                Structures.get("IO_WORKITEM", Abi.X86)));
        List<String> lines = t.lines().toList();
        assertEquals("KTIMER (x86) size 0x28 align 8", lines.getFirst());
        assertTrue(t.contains("\nIO_WORKITEM (x86) size 0x34 align 4  opaque:"), t);
    }

    @Test
    void shouldShowOffsetSizeBitsNameAndType() {
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("OBJECT_HEADER", Abi.X64)));
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x0030\\s+0x8\\s+Body\\s+QUAD")), t);
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x001b\\s+0x1\\s+4\\.\\.4\\s+PermanentObject\\s+UCHAR")), t);
    }

    @Test
    void shouldShowReservedBytesOfOpaqueObjects() {
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("KINTERRUPT", Abi.X64)));
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x00b0\\s+0x60\\s+\\(reserved\\)")), t);
    }

    @Test
    void shouldDocumentTheWindows11KtimerVariant() {
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("KTIMER", Abi.X64)));
        assertTrue(t.contains("variant Windows 11"), t);
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x003a\\s+0x2\\s+TimerType\\s+USHORT")), t);
        String x86 = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X86, List.of(Structures.get("KTIMER", Abi.X86)));
        assertTrue(!x86.contains("variant"), "x86 has no Processor field to split");
    }

    @Test
    void shouldParseFormatNamesAndNameTheValidOnes() {
        assertEquals(LayoutFormat.C, LayoutFormat.parse("C"));
        assertEquals(LayoutFormat.JSON, LayoutFormat.parse("json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayoutFormat.parse("xml"));
        assertEquals("unknown format 'xml' (valid: table, json, c)", e.getMessage());
    }
}
