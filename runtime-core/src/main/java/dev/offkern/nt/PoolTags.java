package dev.offkern.nt;

/**
 * Pool tags: a ULONG holding up to four characters in memory order. {@code tag("Abcd")} stores
 * 'A','b','c','d' at increasing addresses, i.e. the value {@code 'A' | 'b' << 8 | 'c' << 16 | 'd' << 24},
 * and poolmon prints it as "Abcd". (MSVC's multi-character literal {@code 'Abcd'} is
 * {@code 'A' << 24 | ... | 'd'}: its bytes read "dcbA", which is why drivers write their tags reversed
 * in C.)
 *
 * <p>Bit 31 is {@link #PROTECTED_POOL}: a block allocated with it set can only be freed with
 * {@code ExFreePoolWithTag} and the same tag (the bit is not part of the printed tag).
 */
public final class PoolTags {
    /** The protected-pool bit (wdm.h {@code PROTECTED_POOL}). */
    public static final int PROTECTED_POOL = 0x80000000;
    /** 'None': the tag {@code ExAllocatePool} uses. */
    public static final int NONE = tag("None");

    private PoolTags() {
    }

    /**
     * The tag whose memory bytes are {@code chars} (1 to 4 characters, each 0x20..0x7E; shorter tags
     * are padded with spaces as the WDK pads them).
     *
     * @throws IllegalArgumentException for an empty, too long or non-printable tag
     */
    public static int tag(String chars) {
        if (chars.isEmpty() || chars.length() > 4) {
            throw new IllegalArgumentException("a pool tag has 1 to 4 characters, not '" + chars + "'");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            char c = i < chars.length() ? chars.charAt(i) : ' ';
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException("pool tag '" + chars + "' has a non-printable character at " + i);
            }
            value |= c << (8 * i);
        }
        return value;
    }

    /** The tag's four characters in memory order, the protected bit dropped; '.' for non-printables. */
    public static String toString(int tag) {
        char[] out = new char[4];
        int v = tag & ~PROTECTED_POOL;
        for (int i = 0; i < 4; i++) {
            int c = (v >>> (8 * i)) & 0xFF;
            out[i] = c >= 0x20 && c <= 0x7E ? (char) c : '.';
        }
        return new String(out);
    }

    /** Whether {@code tag} has at least one letter or digit (Windows refuses tags without one). */
    public static boolean hasLetterOrDigit(int tag) {
        int v = tag & ~PROTECTED_POOL;
        for (int i = 0; i < 4; i++) {
            int c = (v >>> (8 * i)) & 0xFF;
            if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                return true;
            }
        }
        return false;
    }
}
