package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.layout.mm.POOL_EXTENDED_PARAMETER;
import org.junit.jupiter.api.Test;

/** wdm.h's POOL_EXTENDED_PARAMETER (mingw-w64 lacks it, so this golden test stands in for the oracle). */
class POOL_EXTENDED_PARAMETERTest {
    @Test
    void shouldMatchWdmHOnBothAbis() {
        for (StructSpec s : new StructSpec[] {POOL_EXTENDED_PARAMETER.X64, POOL_EXTENDED_PARAMETER.X86}) {
            assertEquals(0x10, s.size());
            assertEquals(8, s.align());
            assertEquals(0, s.offset("Type"));
            assertEquals(0, s.field("Type").bitOffset());
            assertEquals(8, s.field("Type").bitWidth());
            assertEquals(8, s.field("Optional").bitOffset());
            assertEquals(1, s.field("Optional").bitWidth());
            assertEquals(9, s.field("Reserved").bitOffset());
            assertEquals(55, s.field("Reserved").bitWidth());
            assertEquals(8, s.offset("Priority"));
            assertEquals(8, s.offset("PreferredNode"));
            assertEquals(8, s.offset("SecurePoolParams"));
        }
        assertEquals(0, POOL_EXTENDED_PARAMETER.BITS_OFFSET);
        assertEquals(8, POOL_EXTENDED_PARAMETER.VALUE_OFFSET);
        assertEquals(8, POOL_EXTENDED_PARAMETER.OPTIONAL_SHIFT);
    }
}
