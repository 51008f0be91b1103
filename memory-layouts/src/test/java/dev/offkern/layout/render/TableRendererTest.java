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
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("EPROCESS", Abi.X64)));
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x0470\\s+0x48\\s+\\(reserved\\)")), t);
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x05f0\\s+0x450\\s+\\(reserved\\)")), t);
        String k = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("KINTERRUPT", Abi.X64)));
        assertTrue(k.lines().anyMatch(l -> l.matches("\\s+0x00b0\\s+0x60\\s+IsrDpcStats\\s+ISRDPCSTATS")), k);
        String dh = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("KDPC", Abi.X64)));
        assertTrue(dh.lines().noneMatch(l -> l.contains("(reserved)")), "public structures show padding, not reserved");
    }

    @Test
    void shouldDocumentTheLegacyKtimerVariant() {
        String t = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X64, List.of(Structures.get("KTIMER", Abi.X64)));
        assertTrue(t.lines().anyMatch(l -> l.matches("\\s+0x003a\\s+0x2\\s+TimerType\\s+USHORT")), t);
        String variant = t.substring(t.indexOf("variant Windows 8.1 to 10 1909"));
        assertTrue(variant.lines().anyMatch(l -> l.matches("\\s+0x0038\\s+0x4\\s+Processor\\s+ULONG")), t);
        assertTrue(variant.lines().noneMatch(l -> l.contains("Period")), "unchanged members are not repeated");
        String x86 = LayoutRenderer.render(LayoutFormat.TABLE, Abi.X86, List.of(Structures.get("KTIMER", Abi.X86)));
        assertTrue(!x86.contains("variant"), "x86 has no Processor field to split");
    }

    @Test
    void shouldParseFormatNamesAndNameTheValidOnes() {
        assertEquals(LayoutFormat.C, LayoutFormat.parse("C"));
        assertEquals(LayoutFormat.JSON, LayoutFormat.parse("json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayoutFormat.parse("xml"));
        assertEquals("unknown format 'xml' (valid: table, json, isf, c)", e.getMessage());
    }
}
