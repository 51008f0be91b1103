package dev.offkern.runtime.srm;

import dev.offkern.nt.AccessMask;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.SeConstants;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * MS-DTYP 2.5.3.2's access check written plainly over Java objects (SIDs as strings), as the
 * reference the property test compares SeAccessCheck's byte-level implementation with. Only the
 * simple ACE types; no generic rights in the inputs.
 */
final class AccessCheckModel {
    private AccessCheckModel() {
    }

    record Ace(boolean deny, boolean inheritOnly, int mask, String sid) {
    }

    record Group(String sid, int attributes) {
    }

    record Token(String user, int userAttributes, List<Group> groups, long enabledPrivileges) {
        static Token of(TokenFixture.Spec s) {
            List<Group> g = new ArrayList<>();
            for (int i = 0; i < s.groups.size(); i++) {
                g.add(new Group(canonical(s.groups.get(i)), s.groupAttributes.get(i)));
            }
            long enabled = 0;
            for (long[] p : s.privileges) {
                if ((p[1] & SeConstants.SE_PRIVILEGE_ENABLED) != 0) {
                    enabled |= 1L << p[0];
                }
            }
            return new Token(canonical(s.user), s.userAttributes, g, enabled);
        }

        boolean has(String sid, boolean forDeny) {
            if (user.equals(sid) && (forDeny || (userAttributes & SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) == 0)) {
                return true;
            }
            for (Group g : groups) {
                if (!g.sid().equals(sid)) {
                    continue;
                }
                boolean enabled = (g.attributes() & SeConstants.SE_GROUP_ENABLED) != 0;
                boolean denyOnly = (g.attributes() & SeConstants.SE_GROUP_USE_FOR_DENY_ONLY) != 0;
                if (forDeny ? enabled || denyOnly : enabled && !denyOnly) {
                    return true;
                }
            }
            return false;
        }

        boolean privilege(int luid) {
            return (enabledPrivileges & (1L << luid)) != 0;
        }
    }

    record Result(boolean granted, int access, int status) {
    }

    private static final Map<String, String> ALIASES = Map.of("WD", "S-1-1-0", "BU", "S-1-5-32-545", "BA", "S-1-5-32-544",
            "SY", "S-1-5-18", "OW", "S-1-3-4");

    static String canonical(String sid) {
        return ALIASES.getOrDefault(sid, sid);
    }

    private static Result deny(int status) {
        return new Result(false, 0, status);
    }

    /** The check for a UserMode caller; {@code dacl} null is a NULL DACL. */
    static Result check(Token t, String owner, List<Ace> dacl, int desired, int previous, int genericAll) {
        if (desired == 0) {
            return previous == 0 ? deny(NtStatus.STATUS_ACCESS_DENIED) : new Result(true, previous, NtStatus.STATUS_SUCCESS);
        }
        boolean max = (desired & AccessMask.MAXIMUM_ALLOWED) != 0;
        int asked = desired & ~AccessMask.MAXIMUM_ALLOWED;
        int prev = previous;
        if ((asked & AccessMask.ACCESS_SYSTEM_SECURITY) != 0) {
            if (!t.privilege(SeConstants.SE_SECURITY_PRIVILEGE)) {
                return deny(NtStatus.STATUS_PRIVILEGE_NOT_HELD);
            }
            prev |= AccessMask.ACCESS_SYSTEM_SECURITY;
        }
        if (((asked & AccessMask.WRITE_OWNER) != 0 || max) && t.privilege(SeConstants.SE_TAKE_OWNERSHIP_PRIVILEGE)) {
            prev |= AccessMask.WRITE_OWNER;
        }
        if (!max && (asked & ~prev) == 0) {
            return new Result(true, asked | prev, NtStatus.STATUS_SUCCESS);
        }
        if (dacl == null) {
            return new Result(true, asked | prev | (max ? genericAll : 0), NtStatus.STATUS_SUCCESS);
        }
        boolean ownerRights = dacl.stream().anyMatch(a -> !a.inheritOnly() && a.sid().equals("S-1-3-4"));
        int implicit = AccessMask.READ_CONTROL | AccessMask.WRITE_DAC;
        if (t.has(owner, false) && !ownerRights) {
            prev |= max ? implicit : asked & implicit;
        }
        int allowed = 0;
        int denied = 0;
        for (Ace a : dacl) {
            if (a.inheritOnly()) {
                continue;
            }
            String sid = a.sid().equals("S-1-3-4") ? owner : a.sid();
            if (!t.has(sid, a.deny())) {
                continue;
            }
            if (a.deny()) {
                denied |= a.mask() & ~allowed;
            } else {
                allowed |= a.mask() & ~denied;
            }
        }
        int remaining = asked & ~prev;
        if ((remaining & ~allowed) != 0) {
            return deny(NtStatus.STATUS_ACCESS_DENIED);
        }
        int granted = max ? allowed | prev | asked : asked | prev;
        return granted == 0 ? deny(NtStatus.STATUS_ACCESS_DENIED) : new Result(true, granted, NtStatus.STATUS_SUCCESS);
    }
}
