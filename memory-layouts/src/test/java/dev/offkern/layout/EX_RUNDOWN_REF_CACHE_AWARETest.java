package dev.offkern.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offkern.layout.ex.EX_RUNDOWN_REF_CACHE_AWARE;
import org.junit.jupiter.api.Test;

/**
 * The cache-aware run-down header against ddi-reference §3.1 (ReactOS/NDK:
 * {@code { PEX_RUNDOWN_REF RunRefs; PVOID PoolToFree; ULONG RunRefSize; ULONG Number; }}, x64 0x18, x86 0x10).
 */
class EX_RUNDOWN_REF_CACHE_AWARETest {
    @Test
    void shouldLayOutTheCacheAwareHeaderAsTheNdkDeclaresIt() {
        assertEquals(0x18, EX_RUNDOWN_REF_CACHE_AWARE.X64.size());
        assertEquals(0x00, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REFS_OFFSET);
        assertEquals(0x08, EX_RUNDOWN_REF_CACHE_AWARE.POOL_TO_FREE_OFFSET);
        assertEquals(0x10, EX_RUNDOWN_REF_CACHE_AWARE.RUN_REF_SIZE_OFFSET);
        assertEquals(0x14, EX_RUNDOWN_REF_CACHE_AWARE.NUMBER_OFFSET);
        StructSpec x86 = EX_RUNDOWN_REF_CACHE_AWARE.X86;
        assertEquals(0x10, x86.size());
        assertEquals(0x04, x86.offset("PoolToFree"));
        assertEquals(0x08, x86.offset("RunRefSize"));
        assertEquals(0x0C, x86.offset("Number"));
    }
}
