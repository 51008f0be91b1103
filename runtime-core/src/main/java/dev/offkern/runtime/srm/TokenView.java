package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.UCHAR;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;

import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.SID_AND_ATTRIBUTES;
import dev.offkern.layout.se.TOKEN;
import dev.offkern.nt.SeConstants;
import java.lang.foreign.MemorySegment;

/**
 * Reads a token body in place (no copies, no allocation): the SID matching MS-DTYP's access check
 * needs ("SidInToken") and the privilege masks. {@code tb} is a segment over the whole body at its
 * real address (the body's internal pointers are absolute).
 *
 * <p>Which entries match (MS-DTYP 2.5.3.2 and Windows): for an access-allowed ACE, the user unless it
 * is deny-only, and the groups that are SE_GROUP_ENABLED and not SE_GROUP_USE_FOR_DENY_ONLY; for an
 * access-denied ACE, the user and every group that is enabled or deny-only (a deny-only group
 * exists to be denied). Disabled groups never match.
 */
final class TokenView {
    private static final long ENTRY = SID_AND_ATTRIBUTES.X64.size();

    private TokenView() {
    }

    /** Bytes of the SID at {@code off} of {@code s} (its SubAuthorityCount trusted: a validated SID). */
    static long sidLength(MemorySegment s, long off) {
        return SID.SUB_AUTHORITY_OFFSET + 4L * Byte.toUnsignedInt(s.get(UCHAR, off + SID.SUB_AUTHORITY_COUNT_OFFSET));
    }

    /**
     * Whether the SID at {@code sidOff} of {@code sid} (length {@code len}) is in token {@code tb}:
     * {@code forDeny} selects the access-denied rule.
     */
    static boolean sidInToken(MemorySegment tb, MemorySegment sid, long sidOff, long len, boolean forDeny) {
        long base = tb.address();
        int count = tb.get(ULONG, TOKEN.USER_AND_GROUP_COUNT_OFFSET);
        long array = tb.get(POINTER, TOKEN.USER_AND_GROUPS_OFFSET) - base;
        long first = sid.get(POINTER, sidOff); // Revision, count, authority: compares 8 bytes at once
        long lastOff = len - 4; // the last sub-authority (the RID: where SIDs of one domain differ), or Revision..count again
        int last = sid.get(ULONG, sidOff + lastOff);
        for (int i = 0; i < count; i++) {
            long e = array + i * ENTRY;
            int a = tb.get(ULONG, e + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
            boolean usable;
            if (i == 0) {
                usable = forDeny || (a & SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) == 0;
            } else if (forDeny) {
                usable = (a & (SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_USE_FOR_DENY_ONLY)) != 0;
            } else {
                usable = (a & SeConstants.SE_GROUP_ENABLED) != 0 && (a & SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) == 0;
            }
            if (!usable) {
                continue;
            }
            long s = tb.get(POINTER, e + SID_AND_ATTRIBUTES.SID_OFFSET) - base;
            if (tb.get(POINTER, s) != first || tb.get(ULONG, s + lastOff) != last) {
                continue; // the same first 8 bytes give the same length: s + lastOff lies inside this SID
            }
            if (equalBetween(tb, s, sid, sidOff, lastOff)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the sub-authorities between offset 8 and {@code end} of the two SIDs are equal. */
    private static boolean equalBetween(MemorySegment a, long aOff, MemorySegment b, long bOff, long end) {
        for (long k = 8; k < end; k += 4) {
            if (a.get(ULONG, aOff + k) != b.get(ULONG, bOff + k)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code sid} (a whole, valid SID) is the user or an enabled, not deny-only group of {@code tb}. */
    static boolean hasEnabledSid(MemorySegment tb, MemorySegment sid) {
        return sidInToken(tb, sid, 0, sidLength(sid, 0), false);
    }

    /** The enabled-privileges mask (bit n = LUID n). */
    static long enabledPrivileges(MemorySegment tb) {
        return tb.get(POINTER, TOKEN.PRIVILEGES_ENABLED_OFFSET);
    }

    static int type(MemorySegment tb) {
        return tb.get(ULONG, TOKEN.TOKEN_TYPE_OFFSET);
    }
}
