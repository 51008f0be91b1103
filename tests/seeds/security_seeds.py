#!/usr/bin/env python3
"""Writes the seed corpus of SecurityParsersFuzzTest (tests/src/test/resources/dev/offkern/tests/se/
SecurityParsersFuzzTestInputs/<target>/): valid and corrupted SIDs, ACLs and self-relative security
descriptors built from MS-DTYP 2.4.2.2 / 2.4.4 / 2.4.5 / 2.4.6, and SDDL strings (Microsoft's
documentation examples, Wine's advapi32 test strings, the cases of runtime-core's SddlTest and
SecurityDescriptorFormsTest, and corruptions of them). Re-run after changing it; Jazzer replays every
file as one regression test. Usage: python3 tests/seeds/security_seeds.py"""
import os
import struct

ROOT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "dev", "offkern", "tests", "se",
                    "SecurityParsersFuzzTestInputs")


def sid(authority, *subs, revision=1, count=None):
    return struct.pack("<BB", revision, len(subs) if count is None else count) + authority.to_bytes(6, "big") \
        + b"".join(struct.pack("<I", s) for s in subs)


def ace(type_, flags, mask, body, size=None):
    n = 8 + len(body)
    n = (n + 3) & ~3 if size is None else size
    raw = struct.pack("<BBHI", type_, flags, n, mask) + body
    return raw + b"\0" * max(0, n - len(raw))


def object_ace(type_, flags, mask, sid_bytes, object_type=None, inherited=None):
    f = (1 if object_type else 0) | (2 if inherited else 0)
    body = struct.pack("<I", f) + (object_type or b"") + (inherited or b"") + sid_bytes
    return ace(type_, flags, mask, body)


def acl(aces, revision=2, size=None, count=None):
    body = b"".join(aces)
    n = 8 + len(body) if size is None else size
    return struct.pack("<BBHHH", revision, 0, n, len(aces) if count is None else count, 0) + body


def relative(owner=None, group=None, sacl=None, dacl=None, control=0x8000, revision=1, offsets=None):
    parts = b""
    at = 20
    offs = {}
    for name, blob in (("sacl", sacl), ("dacl", dacl), ("owner", owner), ("group", group)):
        if blob is None:
            offs[name] = 0
            continue
        offs[name] = at
        blob = blob + b"\0" * ((-len(blob)) % 4)
        parts += blob
        at += len(blob)
    if offsets:
        offs.update(offsets)
    if dacl is not None:
        control |= 0x0004
    if sacl is not None:
        control |= 0x0010
    return struct.pack("<BBHIIII", revision, 0, control, offs["owner"], offs["group"], offs["sacl"], offs["dacl"]) + parts


GUID_USER = bytes.fromhex("ba7a96bfe60dd011a28500aa003049e2")       # bf967aba-0de6-11d0-a285-00aa003049e2
GUID_RIGHT = bytes.fromhex("531a72ab2f1ed011981900aa0040529b")      # ab721a53-1e2f-11d0-9819-00aa0040529b
SY = sid(5, 18)
BA = sid(5, 32, 544)
WD = sid(1, 0)
USER = sid(5, 21, 93476, 23408, 4576, 1105)
LOW = sid(16, 4096)
MAX15 = sid(5, *range(21, 36))

SIDS = {
    "valid-system": SY, "valid-administrators": BA, "valid-everyone": WD, "valid-null": sid(0, 0),
    "valid-domain-user": USER, "valid-low-label": LOW, "valid-no-subauthorities": sid(5),
    "valid-15-subauthorities": MAX15, "valid-large-authority": sid(0x123456789ABC, 1),
    "valid-trailing-bytes": BA + b"\xde\xad\xbe\xef", "valid-revision-high-nibble": sid(5, 18, revision=0x11),
    "bad-16-subauthorities": sid(5, *range(16)), "bad-count-255": sid(5, 1, count=255),
    "bad-count-lies": sid(5, 32, count=3), "bad-15-truncated": MAX15[:-1], "bad-revision-2": sid(5, 18, revision=2),
    "bad-revision-0": sid(5, 18, revision=0), "bad-header-only-7": SY[:7], "bad-2-bytes": SY[:2], "bad-1-byte": SY[:1],
    "bad-zeros": bytes(12), "bad-ones": b"\xff" * 68,
}

ALLOW_WD = ace(0, 0, 0x10000000, WD)
DENY_USER = ace(1, 0x03, 0x000F003F, USER)
AUDIT = ace(2, 0xC0, 0x001F01FF, WD)
LABEL = ace(0x11, 0, 0x1, LOW)
CALLBACK = ace(9, 0, 0x1200A9, WD + b"artx\x01\x00\x00\x00")
OBJ = object_ace(5, 0x02, 0x100, BA, GUID_RIGHT, GUID_USER)
OBJ_ONE = object_ace(6, 0, 0x30, USER, None, GUID_USER)
ACLS = {
    "valid-empty": acl([]), "valid-allow-deny": acl([ALLOW_WD, DENY_USER]), "valid-audit": acl([AUDIT]),
    "valid-label": acl([LABEL]), "valid-callback": acl([CALLBACK], revision=2),
    "valid-object-ds": acl([OBJ, OBJ_ONE, ALLOW_WD], revision=4), "valid-free-space": acl([ALLOW_WD], size=64) + bytes(64 - 28),
    "valid-unknown-type": acl([ace(0x40, 0, 0, b"\x01\x02\x03\x04")]),
    "bad-object-in-revision-2": acl([OBJ], revision=2), "bad-revision-1": acl([ALLOW_WD], revision=1),
    "bad-revision-5": acl([ALLOW_WD], revision=5), "bad-count-lies": acl([ALLOW_WD], count=2),
    "bad-count-max": acl([ALLOW_WD], count=0xFFFF), "bad-aclsize-past-buffer": acl([ALLOW_WD], size=0x100),
    "bad-aclsize-ffff": acl([ALLOW_WD], size=0xFFFF), "bad-aclsize-under-header": acl([], size=4),
    "bad-aclsize-unaligned": acl([ALLOW_WD]) [:2] + struct.pack("<H", 22) + acl([ALLOW_WD])[4:],
    "bad-acesize-zero": acl([ace(0, 0, 0, WD, size=0)[:12]]), "bad-acesize-2": acl([ace(0, 0, 0, b"", size=2)[:8]]),
    "bad-acesize-unaligned": acl([ace(0, 0, 0, WD, size=17)]), "bad-acesize-past-acl": acl([ace(0, 0, 0, WD, size=64)[:20]]),
    "bad-sid-past-ace": acl([ace(0, 0, 0, MAX15[:12], size=12)]),
    "bad-object-flags-past-ace": acl([ace(5, 0, 0, b"", size=8)], revision=4),
    "bad-object-guids-past-ace": acl([ace(5, 0, 0, struct.pack("<I", 3) + GUID_USER)], revision=4),
    "bad-header-7": acl([])[:7], "bad-empty": b"",
}

DACL = acl([ALLOW_WD, DENY_USER, OBJ], revision=4)
SACL = acl([AUDIT, LABEL])
FULL = relative(BA, SY, SACL, DACL)
DESCRIPTORS = {
    "valid-full": FULL, "valid-owner-only": relative(owner=BA), "valid-header-only": relative(),
    "valid-null-dacl": struct.pack("<BBHIIII", 1, 0, 0x8004, 0, 0, 0, 0), "valid-empty-dacl": relative(dacl=acl([])),
    "valid-protected-autoinherited": relative(BA, SY, None, DACL, control=0x8000 | 0x1000 | 0x0400),
    "valid-shared-sid": relative(BA, None, offsets={"group": 20}),
    "valid-trailing-bytes": FULL + b"\xcc" * 16,
    "bad-revision-2": relative(BA, SY, revision=2), "bad-absolute-flag": relative(BA, SY, control=0),
    "bad-owner-unaligned": relative(BA, offsets={"owner": 21}) + b"\0",
    "bad-owner-in-header": relative(BA, offsets={"owner": 4}), "bad-owner-past-end": relative(BA, offsets={"owner": 0x400}),
    "bad-owner-negative": relative(BA, offsets={"owner": 0xFFFFFFFC}),
    "bad-group-at-last-word": relative(BA, SY, offsets={"group": len(relative(BA, SY)) - 4}),
    "bad-group-truncated": relative(BA, MAX15)[:-4], "bad-dacl-size-past-end": relative(dacl=acl([ALLOW_WD], size=0x200)),
    "bad-dacl-count-lies": relative(dacl=acl([ALLOW_WD], count=2)),
    "bad-sacl-offset-without-flag": relative(sacl=SACL, control=0x8000) [:2] + struct.pack("<H", 0x8000)
                                    + relative(sacl=SACL)[4:],
    "bad-header-19": FULL[:19], "bad-absolute-40": struct.pack("<BBHIQQQQ", 1, 0, 0x0004, 0, 0, 0, 0, 0x7FFF00001000)[:40],
    "bad-zeros-20": bytes(20), "bad-ones-64": b"\xff" * 64,
}

WIN_DOCS = [
    # Microsoft Learn, "Security Descriptor String Format" and "ACE Strings" examples
    "O:AOG:DAD:(A;;RPWPCCDCLCSWRCWDWOGA;;;S-1-0-0)",
    "O:DAG:DAD:(A;;RPWPCCDCLCRCWOWDSDSW;;;SY)(A;;RPWPCCDCLCRCWOWDSDSW;;;DA)(OA;;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;AO)"
    "(OA;;CCDC;bf967a9c-0de6-11d0-a285-00aa003049e2;;AO)(OA;;CCDC;6da8a4ff-0e52-11d0-a286-00aa003049e2;;AO)"
    "(OA;;CCDC;bf967aa8-0de6-11d0-a285-00aa003049e2;;PO)(A;;RPLCRC;;;AU)S:(AU;SAFA;WDWOSDWPCCDCSW;;;WD)",
    "D:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGX;;;BU)",
    "(A;;GA;;;SY)",
    "(OA;;CCDC;bf967aba-0de6-11d0-a285-00aa003049e2;;AO)",
    "S:(ML;;NW;;;LW)",
    "D:(A;;0x1200a9;;;BU)(A;OICIIO;GA;;;CO)",
]
FROM_TESTS = [
    # Wine dlls/advapi32/tests/security.c and runtime-core's SddlTest / SecurityDescriptorFormsTest
    "D:(A;;GA;;;WD)", "D:(A;;GRGWGX;;;WD)", "D:(A;;RCSDWDWO;;;WD)", "D:(A;;RPWPCCDCLCSWLODTCR;;;WD)", "D:(A;;FAFRFWFX;;;WD)",
    "D:(A;;KAKRKWKX;;;WD)", "D:(A;;0xFFFFFFFF;;;WD)", "D:(A;;01777;;;WD)(A;;17;;;WD)", "D:(A;;KR;;;BU)(A;;KX;;;BU)",
    "D:(A;;GA;;;LA)(A;;GA;;;S-1-5-21-0-0-0-501)",
    "D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)(D;OICI;0xffffffff;;;S-1-5-21-93476-23408-4576)",
    "O:SYG:S-1-5-21-93476-23408-4576D:(A;NP;GAGXGWGR;;;SU)(A;IOID;CCDC;;;SU)",
    "O:BAG:SYD:PAI(A;OICI;FA;;;BA)S:(AU;FA;GA;;;WD)", "O:BAG:SYD:(A;;GA;;;WD)",
    "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
    "D:(OD;CI;RPWP;;BF967ABA-0DE6-11D0-A285-00AA003049E2;S-1-5-21-1-2-3-1105)",
    "D:ARAIP(A;;0x1200a9;;;BU)", "D:PAI(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)", "D:NO_ACCESS_CONTROL", "D:S:",
    "S:(AU;OICINPIOIDSAFA;CCDCLCSWRPRC;;;SU)(AU;NPSA;0x12019f;;;SU)", "S:(AU;SA;GA;;;WD)(ML;;NW;;;LW)",
    "S:(ML;;NWNRNX;;;HI)", "O:S-1-0x123456789ABC-7", "G:s-1-5-18", "O:SY", "O:S-1-2-0",
]
BROKEN = [
    "", "D:(A;;GA;;;WD", "D:(A;;GA;;WD)", "D:(A;ZZ;GA;;;WD)", "D:(Q;;GA;;;WD)", "))", "O:XX", "O:SYO:SY",
    "D:(A;;GA;;;WD)junk", "ERROR:(D;;GA;;;WD)", "D:(D;;GA;;;Nonexistent account)", "S:(AU;;0xFFFFFGR;;;WD)",
    "S:(AU;;GR0xFFFFFFFF;;;WD)", "D:(A;;0x1FFFFFFFF;;;WD)", "D:(OA;;CR;not-a-guid;;WD)",
    "D:(OA;;CR;ab721a53x1e2f-11d0-9819-00aa0040529b;;WD)", "D:(OA;;CR;ab721a53-1e2f--1d0-9819-00aa0040529b;;WD)",
    "D:(A;;GA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)", "D:NO_ACCESS_CONTROL(A;;GA;;;WD)", "D:(A;;ROB;;;WD)",
    "D:(XA;;FX;;;WD;(@User.Title == \"PM\"))", "O:S-1-5-4294967296", "O:S-1-0x1000000000000-1", "O:S-1-\u0665-1",
    "D:(A;;GA;;;S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)", "D:" + "(A;;GA;;;S-1-5-21-1-2-3-1105)" * 2500,
    "D:(A;;GA;;;WD)\u0000S:(AU;;GA;;;WD)", "D:(A;;GA;;;WD)(", "O:", "D:P", "D:(;;;;;)", "D:(A;;;;;WD)",
]
STRING_SIDS = [
    "S-1-5-18", "S-1-5-32-544", "S-1-1-0", "S-1-0-0", "S-1-5-21-93476-23408-4576", "S-1-0x123456789ABC-1",
    "S-1-5-21-0-0-0-500", "S-1-16-8448", "S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", "S-1-5", "WD", "SY", "BA", "LA",
    "AU", "CO", "OW", "LW", "HI", "s-1-5-18", "S-1-5-", "S-1-5-1a", "S-2-5-18", "S-1-5-4294967296",
    "S-1-0x1000000000000-1", "S-1-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1-\u0665-1", "S-1-860116326-1",
    "XX", "", "S", "S-", "S-1", "S-1-", "S-1-5-18 ", " S-1-5-18", "S-1-5-+18", "S-1-5--18", "S-1-0x-1", "S-1-0X12-1",
]


def write(target, items):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def text_items(prefix, strings):
    return [("%s-%02d" % (prefix, i), s.encode("utf-8")) for i, s in enumerate(strings)]


write("sid", SIDS.items())
write("acl", ACLS.items())
write("selfRelativeDescriptor", DESCRIPTORS.items())
write("sddl", text_items("windows-docs", WIN_DOCS) + text_items("tests", FROM_TESTS) + text_items("broken", BROKEN)
      + [("utf16-full", "O:BAG:SYD:PAI(A;OICI;FA;;;BA)S:(AU;FA;GA;;;WD)\0".encode("utf-16-le")),
         ("utf16-unterminated", "D:(A;;GA;;;WD)".encode("utf-16-le"))])
write("stringSid", text_items("sid", STRING_SIDS))
