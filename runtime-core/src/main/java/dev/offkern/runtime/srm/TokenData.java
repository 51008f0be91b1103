package dev.offkern.runtime.srm;

import dev.offkern.runtime.se.SecurityParsers;
import static dev.offkern.runtime.se.SecurityParsers.POINTER;
import static dev.offkern.runtime.se.SecurityParsers.UCHAR;
import static dev.offkern.runtime.se.SecurityParsers.ULONG;

import dev.offkern.layout.se.ACL;
import dev.offkern.layout.se.SID;
import dev.offkern.layout.se.SID_AND_ATTRIBUTES;
import dev.offkern.layout.se.TOKEN;
import dev.offkern.layout.se.TOKEN_SOURCE;
import dev.offkern.nt.SeConstants;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * The contents of one access token as plain Java values: what {@code ZwCreateToken} was given (after
 * validation) or what a token body holds (for {@code ZwDuplicateToken}), and the one place that lays
 * a TOKEN body out and reads it back.
 *
 * <h2>Body layout</h2>
 * The fixed part is the byte-exact {@link TOKEN} (0x490 bytes before {@code VariablePart}); from
 * {@code VariablePart} on: the SID_AND_ATTRIBUTES array of the user (entry 0) and the groups
 * ({@code UserAndGroups} points at it), then their SIDs, each 4-aligned ({@code VariableLength} covers
 * the array and the SIDs, rounded to 8); then the dynamic part ({@code DynamicPart}): the primary
 * group's SID ({@code PrimaryGroup}) and the default DACL ({@code DefaultDacl}, or NULL), its length
 * in {@code DynamicCharged}. Every pointer is a real address inside the same body, as Windows' are.
 * Privileges are the three 64-bit masks of SEP_TOKEN_PRIVILEGES (bit n = privilege LUID n).
 *
 * @param user              the user's SID bytes
 * @param userAttributes    0 or SE_GROUP_USE_FOR_DENY_ONLY
 * @param groups            each group's SID bytes
 * @param groupAttributes   each group's SE_GROUP_* attributes (same order)
 * @param present           privileges held (bit mask by LUID)
 * @param enabled           privileges enabled
 * @param enabledByDefault  privileges enabled by default
 * @param ownerIndex        index in user-and-groups of the default owner (0: the user)
 * @param primaryGroup      the primary group's SID bytes
 * @param defaultDacl       the default DACL's bytes, or null
 * @param source            TOKEN_SOURCE's 16 bytes
 * @param type              TokenPrimary or TokenImpersonation
 * @param level             the impersonation level (SecurityAnonymous for a primary token)
 * @param authenticationId  the logon session's LUID
 * @param expiration        ExpirationTime (100 ns since 1601)
 * @param sessionId         SessionId
 * @param parentId          ParentTokenId
 */
record TokenData(byte[] user, int userAttributes, List<byte[]> groups, int[] groupAttributes, long present, long enabled,
                 long enabledByDefault, int ownerIndex, byte[] primaryGroup, byte[] defaultDacl, byte[] source, int type,
                 int level, long authenticationId, long expiration, int sessionId, long parentId) {

    /** Where the variable part starts in a body. */
    static final long VARIABLE = TOKEN.VARIABLE_PART_OFFSET;
    private static final long ENTRY = SID_AND_ATTRIBUTES.X64.size();

    /** Bytes of SID {@code s} rounded up to 4. */
    private static long rounded4(long n) {
        return (n + 3) & ~3L;
    }

    private static long rounded8(long n) {
        return (n + 7) & ~7L;
    }

    /** User (entry 0) and groups. */
    int count() {
        return 1 + groups.size();
    }

    byte[] sid(int index) {
        return index == 0 ? user : groups.get(index - 1);
    }

    int attributes(int index) {
        return index == 0 ? userAttributes : groupAttributes[index - 1];
    }

    private long variableLength() {
        long n = count() * ENTRY;
        for (int i = 0; i < count(); i++) {
            n += rounded4(sid(i).length);
        }
        return rounded8(n);
    }

    private long dynamicLength() {
        return rounded4(primaryGroup.length) + (defaultDacl == null ? 0 : rounded4(defaultDacl.length));
    }

    /** The body's size in bytes. */
    long bodySize() {
        return VARIABLE + variableLength() + dynamicLength();
    }

    /**
     * Writes the body into {@code b} (zeroed, {@link #bodySize()} bytes, at its final address, so
     * the internal pointers are real), with ids {@code tokenId} and {@code modifiedId}.
     */
    void write(MemorySegment b, long tokenId, long modifiedId) {
        long base = b.address();
        b.asSlice(TOKEN.TOKEN_SOURCE_OFFSET, TOKEN_SOURCE.X64.size()).copyFrom(MemorySegment.ofArray(source));
        b.set(POINTER, TOKEN.TOKEN_ID_OFFSET, tokenId);
        b.set(POINTER, TOKEN.AUTHENTICATION_ID_OFFSET, authenticationId);
        b.set(POINTER, TOKEN.PARENT_TOKEN_ID_OFFSET, parentId);
        b.set(POINTER, TOKEN.EXPIRATION_TIME_OFFSET, expiration);
        b.set(POINTER, TOKEN.MODIFIED_ID_OFFSET, modifiedId);
        b.set(POINTER, TOKEN.PRIVILEGES_PRESENT_OFFSET, present);
        b.set(POINTER, TOKEN.PRIVILEGES_ENABLED_OFFSET, enabled);
        b.set(POINTER, TOKEN.PRIVILEGES_ENABLED_BY_DEFAULT_OFFSET, enabledByDefault);
        b.set(ULONG, TOKEN.SESSION_ID_OFFSET, sessionId);
        b.set(ULONG, TOKEN.USER_AND_GROUP_COUNT_OFFSET, count());
        b.set(ULONG, TOKEN.RESTRICTED_SID_COUNT_OFFSET, 0);
        long variable = variableLength();
        long dynamic = dynamicLength();
        b.set(ULONG, TOKEN.VARIABLE_LENGTH_OFFSET, (int) variable);
        b.set(ULONG, TOKEN.DYNAMIC_CHARGED_OFFSET, (int) dynamic);
        b.set(ULONG, TOKEN.DEFAULT_OWNER_INDEX_OFFSET, ownerIndex);
        b.set(POINTER, TOKEN.USER_AND_GROUPS_OFFSET, base + VARIABLE);
        long sidAt = VARIABLE + count() * ENTRY;
        for (int i = 0; i < count(); i++) {
            long entry = VARIABLE + i * ENTRY;
            byte[] s = sid(i);
            b.asSlice(sidAt, s.length).copyFrom(MemorySegment.ofArray(s));
            b.set(POINTER, entry + SID_AND_ATTRIBUTES.SID_OFFSET, base + sidAt);
            b.set(ULONG, entry + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET, attributes(i));
            sidAt += rounded4(s.length);
        }
        long dyn = VARIABLE + variable;
        b.set(POINTER, TOKEN.DYNAMIC_PART_OFFSET, base + dyn);
        b.asSlice(dyn, primaryGroup.length).copyFrom(MemorySegment.ofArray(primaryGroup));
        b.set(POINTER, TOKEN.PRIMARY_GROUP_OFFSET, base + dyn);
        if (defaultDacl != null) {
            long dacl = dyn + rounded4(primaryGroup.length);
            b.asSlice(dacl, defaultDacl.length).copyFrom(MemorySegment.ofArray(defaultDacl));
            b.set(POINTER, TOKEN.DEFAULT_DACL_OFFSET, base + dacl);
        }
        b.set(ULONG, TOKEN.TOKEN_TYPE_OFFSET, type);
        b.set(ULONG, TOKEN.IMPERSONATION_LEVEL_OFFSET, level);
        b.set(POINTER, TOKEN.ORIGINATING_LOGON_SESSION_OFFSET, authenticationId);
    }

    /** The body's size as its header records it ({@code b} must cover at least the fixed part). */
    static long bodySizeOf(MemorySegment fixed) {
        return VARIABLE + Integer.toUnsignedLong(fixed.get(ULONG, TOKEN.VARIABLE_LENGTH_OFFSET))
                + Integer.toUnsignedLong(fixed.get(ULONG, TOKEN.DYNAMIC_CHARGED_OFFSET));
    }

    /** The SID bytes at the absolute address {@code address} inside body {@code b}. */
    static byte[] sidAt(MemorySegment b, long address) {
        long off = address - b.address();
        int count = Byte.toUnsignedInt(b.get(UCHAR, off + SID.SUB_AUTHORITY_COUNT_OFFSET));
        return b.asSlice(off, SecurityParsers.sidLength(count)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** Reads a body {@code b} (the whole body) back. */
    static TokenData read(MemorySegment b) {
        int count = b.get(ULONG, TOKEN.USER_AND_GROUP_COUNT_OFFSET);
        long array = b.get(POINTER, TOKEN.USER_AND_GROUPS_OFFSET) - b.address();
        byte[][] sids = new byte[count][];
        int[] attrs = new int[count];
        for (int i = 0; i < count; i++) {
            long entry = array + i * ENTRY;
            sids[i] = sidAt(b, b.get(POINTER, entry + SID_AND_ATTRIBUTES.SID_OFFSET));
            attrs[i] = b.get(ULONG, entry + SID_AND_ATTRIBUTES.ATTRIBUTES_OFFSET);
        }
        long daclAt = b.get(POINTER, TOKEN.DEFAULT_DACL_OFFSET);
        byte[] dacl = null;
        if (daclAt != 0) {
            long off = daclAt - b.address();
            int size = Short.toUnsignedInt(b.get(SecurityParsers.USHORT, off + ACL.ACL_SIZE_OFFSET));
            dacl = b.asSlice(off, size).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
        return new TokenData(sids[0], attrs[0], Arrays.asList(Arrays.copyOfRange(sids, 1, count)),
                Arrays.copyOfRange(attrs, 1, count), b.get(POINTER, TOKEN.PRIVILEGES_PRESENT_OFFSET),
                b.get(POINTER, TOKEN.PRIVILEGES_ENABLED_OFFSET), b.get(POINTER, TOKEN.PRIVILEGES_ENABLED_BY_DEFAULT_OFFSET),
                b.get(ULONG, TOKEN.DEFAULT_OWNER_INDEX_OFFSET), sidAt(b, b.get(POINTER, TOKEN.PRIMARY_GROUP_OFFSET)), dacl,
                b.asSlice(TOKEN.TOKEN_SOURCE_OFFSET, TOKEN_SOURCE.X64.size()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                b.get(ULONG, TOKEN.TOKEN_TYPE_OFFSET), b.get(ULONG, TOKEN.IMPERSONATION_LEVEL_OFFSET),
                b.get(POINTER, TOKEN.AUTHENTICATION_ID_OFFSET), b.get(POINTER, TOKEN.EXPIRATION_TIME_OFFSET),
                b.get(ULONG, TOKEN.SESSION_ID_OFFSET), b.get(POINTER, TOKEN.PARENT_TOKEN_ID_OFFSET));
    }

    /**
     * The duplicate ZwDuplicateToken makes: {@code type} and {@code level}, parent {@code parentId};
     * with {@code effectiveOnly} the disabled groups (deny-only ones stay: dropping them would widen
     * access) and the disabled privileges are gone.
     */
    TokenData duplicate(int newType, int newLevel, boolean effectiveOnly, long parent) {
        List<byte[]> g = groups;
        int[] ga = groupAttributes;
        long p = present;
        long e = enabled;
        long d = enabledByDefault;
        int owner = ownerIndex;
        if (effectiveOnly) {
            java.util.ArrayList<byte[]> keptSids = new java.util.ArrayList<>();
            int[] keptAttrs = new int[groups.size()];
            int newOwner = 0;
            for (int i = 0; i < groups.size(); i++) {
                int a = groupAttributes[i];
                if ((a & (SeConstants.SE_GROUP_ENABLED | SeConstants.SE_GROUP_USE_FOR_DENY_ONLY)) != 0) {
                    if (i + 1 == ownerIndex) {
                        newOwner = keptSids.size() + 1;
                    }
                    keptAttrs[keptSids.size()] = a;
                    keptSids.add(groups.get(i));
                }
            }
            g = keptSids;
            ga = Arrays.copyOf(keptAttrs, keptSids.size());
            owner = newOwner;
            p = enabled;
            d = enabledByDefault & enabled;
        }
        return new TokenData(user, userAttributes, g, ga, p, e, d, owner, primaryGroup, defaultDacl, source, newType, newLevel,
                authenticationId, expiration, sessionId, parent);
    }
}
