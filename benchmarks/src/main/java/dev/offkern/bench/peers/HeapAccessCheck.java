package dev.offkern.bench.peers;

import java.util.Arrays;

/**
 * The peer of {@code SeAccessCheck} in {@code AccessCheckBenchmark}: MS-DTYP 2.5.3.2's access check
 * (owner implicit rights and OWNER RIGHTS, allowed/denied ACEs in order, inherit-only skipped,
 * deny-only and disabled groups, MAXIMUM_ALLOWED, the two privileges) over plain heap objects —
 * SIDs as {@code byte[]}, a token as arrays, a DACL as an array of ACE records — with no native
 * memory, no bounds checks of untrusted bytes and no token lock.
 */
public final class HeapAccessCheck {
    public static final int READ_CONTROL = 0x20000;
    public static final int WRITE_DAC = 0x40000;
    public static final int WRITE_OWNER = 0x80000;
    public static final int ACCESS_SYSTEM_SECURITY = 0x1000000;
    public static final int MAXIMUM_ALLOWED = 0x2000000;
    private static final int ENABLED = 0x4;
    private static final int DENY_ONLY = 0x10;
    private static final byte[] OWNER_RIGHTS = {1, 1, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0};

    private HeapAccessCheck() {
    }

    /** A token: the user (entry 0) and groups with SE_GROUP_* attributes, and the enabled-privilege mask. */
    public record Token(byte[][] sids, int[] attributes, long enabledPrivileges) {
        boolean has(byte[] sid, boolean forDeny) {
            for (int i = 0; i < sids.length; i++) {
                int a = attributes[i];
                boolean usable = i == 0 ? forDeny || (a & DENY_ONLY) == 0
                        : forDeny ? (a & (ENABLED | DENY_ONLY)) != 0 : (a & ENABLED) != 0 && (a & DENY_ONLY) == 0;
                if (usable && Arrays.equals(sids[i], sid)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** An ACE: allowed or denied, inherit-only or not, its mask and SID. */
    public record Ace(boolean deny, boolean inheritOnly, int mask, byte[] sid) {
    }

    /** A descriptor: owner SID and DACL (null: no DACL). */
    public record Descriptor(byte[] owner, Ace[] dacl) {
    }

    /** The granted access, or -1 when denied. */
    public static int check(Descriptor sd, Token t, int desired, int previous, int genericAll) {
        boolean max = (desired & MAXIMUM_ALLOWED) != 0;
        int asked = desired & ~MAXIMUM_ALLOWED;
        int prev = previous;
        if ((asked & ACCESS_SYSTEM_SECURITY) != 0) {
            if ((t.enabledPrivileges() & (1L << 8)) == 0) {
                return -1;
            }
            prev |= ACCESS_SYSTEM_SECURITY;
        }
        if (((asked & WRITE_OWNER) != 0 || max) && (t.enabledPrivileges() & (1L << 9)) != 0) {
            prev |= WRITE_OWNER;
        }
        if (!max && (asked & ~prev) == 0) {
            return asked | prev;
        }
        Ace[] dacl = sd.dacl();
        if (dacl == null) {
            return asked | prev | (max ? genericAll : 0);
        }
        boolean ownerRights = false;
        for (Ace a : dacl) {
            if (!a.inheritOnly() && Arrays.equals(a.sid(), OWNER_RIGHTS)) {
                ownerRights = true;
                break;
            }
        }
        if (!ownerRights && t.has(sd.owner(), false)) {
            prev |= max ? READ_CONTROL | WRITE_DAC : asked & (READ_CONTROL | WRITE_DAC);
        }
        int remaining = asked & ~prev;
        int allowed = 0;
        int denied = 0;
        for (Ace a : dacl) {
            if (a.inheritOnly()) {
                continue;
            }
            byte[] sid = Arrays.equals(a.sid(), OWNER_RIGHTS) ? sd.owner() : a.sid();
            if (!t.has(sid, a.deny())) {
                continue;
            }
            if (a.deny()) {
                denied |= a.mask() & ~allowed;
                if (!max && (remaining & denied) != 0) {
                    return -1;
                }
            } else {
                allowed |= a.mask() & ~denied;
                if (!max && (remaining & ~allowed) == 0) {
                    break;
                }
            }
        }
        if ((remaining & ~allowed) != 0) {
            return -1;
        }
        int granted = max ? allowed | prev | asked : asked | prev;
        return granted == 0 ? -1 : granted;
    }
}
