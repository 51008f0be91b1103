package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PoolTagsTest {
    @Test
    void shouldStoreTheCharactersInMemoryOrder() {
        assertEquals('T' | 'a' << 8 | 'g' << 16 | '1' << 24, PoolTags.tag("Tag1"));
        assertEquals(0x656E6F4E, PoolTags.NONE, "'None' as ExAllocatePool tags it");
        assertEquals("Tag1", PoolTags.toString(PoolTags.tag("Tag1")));
    }

    @Test
    void shouldPadShortTagsWithSpaces() {
        assertEquals("BIG ", PoolTags.toString(PoolTags.tag("BIG")));
    }

    @Test
    void shouldDropTheProtectedBitWhenPrinting() {
        assertEquals("Prot", PoolTags.toString(PoolTags.tag("Prot") | PoolTags.PROTECTED_POOL));
    }

    @Test
    void shouldRefuseEmptyLongOrUnprintableTags() {
        assertThrows(IllegalArgumentException.class, () -> PoolTags.tag(""));
        assertThrows(IllegalArgumentException.class, () -> PoolTags.tag("Five5"));
        assertThrows(IllegalArgumentException.class, () -> PoolTags.tag("a\tb"));
    }

    @Test
    void shouldTellTagsWithoutLettersOrDigits() {
        assertFalse(PoolTags.hasLetterOrDigit(PoolTags.tag("-+* ")));
        assertTrue(PoolTags.hasLetterOrDigit(PoolTags.tag("-+*7")));
        assertEquals("....", PoolTags.toString(0));
    }
}
