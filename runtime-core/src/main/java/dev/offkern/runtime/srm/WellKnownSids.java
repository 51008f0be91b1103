package dev.offkern.runtime.srm;

/**
 * The well-known SIDs the token and access-check code names, as their binary form (MS-DTYP 2.4.2.4):
 * Revision 1, SubAuthorityCount, the 6-byte big-endian authority, then the sub-authorities
 * little-endian. Each call returns a fresh array.
 */
public final class WellKnownSids {
    private WellKnownSids() {
    }

    /** The binary SID S-1-{authority}-{subs...}. */
    public static byte[] sid(long authority, int... subs) {
        byte[] b = new byte[8 + 4 * subs.length];
        b[0] = 1;
        b[1] = (byte) subs.length;
        for (int i = 0; i < 6; i++) {
            b[2 + i] = (byte) (authority >>> (8 * (5 - i)));
        }
        for (int i = 0; i < subs.length; i++) {
            int v = subs[i];
            b[8 + 4 * i] = (byte) v;
            b[9 + 4 * i] = (byte) (v >>> 8);
            b[10 + 4 * i] = (byte) (v >>> 16);
            b[11 + 4 * i] = (byte) (v >>> 24);
        }
        return b;
    }

    /** S-1-5-18, LocalSystem. */
    public static byte[] localSystem() {
        return sid(5, 18);
    }

    /** S-1-5-32-544, BUILTIN\Administrators. */
    public static byte[] administrators() {
        return sid(5, 32, 544);
    }

    /** S-1-1-0, Everyone. */
    public static byte[] everyone() {
        return sid(1, 0);
    }

    /** S-1-5-11, Authenticated Users. */
    public static byte[] authenticatedUsers() {
        return sid(5, 11);
    }

    /** S-1-16-16384, the System mandatory level. */
    public static byte[] systemIntegrity() {
        return sid(16, 0x4000);
    }

    /** S-1-3-0, CREATOR OWNER (replaced by the new object's owner when an ACE is inherited). */
    public static byte[] creatorOwner() {
        return sid(3, 0);
    }

    /** S-1-3-1, CREATOR GROUP (replaced by the new object's primary group when an ACE is inherited). */
    public static byte[] creatorGroup() {
        return sid(3, 1);
    }

    /** S-1-3-4, OWNER RIGHTS: an ACE naming it replaces the owner's implicit READ_CONTROL | WRITE_DAC. */
    public static byte[] ownerRights() {
        return sid(3, 4);
    }
}
