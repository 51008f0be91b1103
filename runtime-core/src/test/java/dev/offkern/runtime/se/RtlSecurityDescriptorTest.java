package dev.offkern.runtime.se;

import static dev.offkern.ddi.Rtl.RtlCreateAcl;
import static dev.offkern.ddi.Rtl.RtlCreateSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlGetDaclSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlGetGroupSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlGetOwnerSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlInitializeSid;
import static dev.offkern.ddi.Rtl.RtlLengthSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlMapGenericMask;
import static dev.offkern.ddi.Rtl.RtlSetDaclSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSetGroupSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSetOwnerSecurityDescriptor;
import static dev.offkern.ddi.Rtl.RtlSubAuthoritySid;
import static dev.offkern.ddi.Rtl.RtlValidRelativeSecurityDescriptor;
import static dev.offkern.nt.NtStatus.STATUS_INVALID_SECURITY_DESCR;
import static dev.offkern.nt.NtStatus.STATUS_SUCCESS;
import static dev.offkern.nt.NtStatus.STATUS_UNKNOWN_REVISION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.offkern.ddi.Ex;
import dev.offkern.nt.PoolFlags;
import dev.offkern.runtime.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Absolute and self-relative descriptors (MS-DTYP 2.4.6) and generic mapping (the file object's GENERIC_MAPPING). */
class RtlSecurityDescriptorTest {

    private static final ValueLayout.OfInt ULONG = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort USHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TAG = 'S' | 'd' << 8 | 'T' << 16 | 't' << 24;

    private Kernel kernel;
    private Arena arena;

    @BeforeEach
    void boot() {
        kernel = Kernel.boot();
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        kernel.close();
        arena.close();
    }

    /** A SID in pool memory (a descriptor holds raw pointers, resolved through the address space). */
    private MemorySegment sid(int authority, int... subs) {
        MemorySegment s = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 8 + 4L * subs.length, TAG);
        MemorySegment a = arena.allocate(6);
        a.set(ValueLayout.JAVA_BYTE, 5, (byte) authority);
        RtlInitializeSid(s, a, (byte) subs.length);
        for (int i = 0; i < subs.length; i++) {
            RtlSubAuthoritySid(s, i).set(ULONG, 0, subs[i]);
        }
        return s;
    }

    @Test
    void shouldCreateAnEmptyAbsoluteDescriptorOfRevisionOne() {
        MemorySegment sd = arena.allocate(40, 8);
        sd.fill((byte) 0x55);
        assertEquals(STATUS_UNKNOWN_REVISION, RtlCreateSecurityDescriptor(sd, 2));
        assertEquals(STATUS_SUCCESS, RtlCreateSecurityDescriptor(sd, 1));
        assertEquals(1, sd.get(ValueLayout.JAVA_BYTE, 0));
        for (int i = 1; i < 40; i++) {
            assertEquals(0, sd.get(ValueLayout.JAVA_BYTE, i));
        }
        assertEquals(40, RtlLengthSecurityDescriptor(sd));
    }

    @Test
    void shouldSetAndGetOwnerGroupAndDaclWithTheirControlBits() {
        MemorySegment sd = arena.allocate(40, 8);
        RtlCreateSecurityDescriptor(sd, 1);
        MemorySegment owner = sid(5, 32, 544);
        MemorySegment group = sid(5, 18);
        MemorySegment dacl = Ex.ExAllocatePool2(PoolFlags.POOL_FLAG_NON_PAGED, 30, TAG);
        RtlCreateAcl(dacl, 30, 2);                                         // AclSize 28
        assertEquals(STATUS_SUCCESS, RtlSetOwnerSecurityDescriptor(sd, owner, false));
        assertEquals(STATUS_SUCCESS, RtlSetGroupSecurityDescriptor(sd, group, true));
        assertEquals(STATUS_SUCCESS, RtlSetDaclSecurityDescriptor(sd, true, dacl, true));
        assertEquals(0x0004 | 0x0008 | 0x0002, sd.get(USHORT, 2));
        MemorySegment present = arena.allocate(1);
        MemorySegment pointer = arena.allocate(8);
        MemorySegment defaulted = arena.allocate(1);
        assertEquals(STATUS_SUCCESS, RtlGetDaclSecurityDescriptor(sd, present, pointer, defaulted));
        assertEquals(1, present.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(dacl.address(), pointer.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(1, defaulted.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(STATUS_SUCCESS, RtlGetOwnerSecurityDescriptor(sd, pointer, defaulted));
        assertEquals(owner.address(), pointer.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(0, defaulted.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(STATUS_SUCCESS, RtlGetGroupSecurityDescriptor(sd, pointer, defaulted));
        assertEquals(group.address(), pointer.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(1, defaulted.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(40 + 16 + 12 + 28, RtlLengthSecurityDescriptor(sd));
        assertEquals(STATUS_SUCCESS, RtlSetDaclSecurityDescriptor(sd, false, dacl, true));
        assertEquals(0x0002, sd.get(USHORT, 2));
        assertEquals(40 + 16 + 12, RtlLengthSecurityDescriptor(sd), "an absent DACL does not count");
        assertEquals(STATUS_SUCCESS, RtlGetDaclSecurityDescriptor(sd, present, pointer, defaulted));
        assertEquals(0, present.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void shouldRefuseToSetOnASelfRelativeOrUnknownRevisionDescriptor() {
        MemorySegment sd = arena.allocate(40, 8);
        RtlCreateSecurityDescriptor(sd, 1);
        sd.set(USHORT, 2, (short) 0x8000);
        assertEquals(STATUS_INVALID_SECURITY_DESCR, RtlSetOwnerSecurityDescriptor(sd, MemorySegment.NULL, false));
        sd.set(ValueLayout.JAVA_BYTE, 0, (byte) 2);
        assertEquals(STATUS_UNKNOWN_REVISION, RtlSetDaclSecurityDescriptor(sd, true, MemorySegment.NULL, false));
        assertEquals(STATUS_UNKNOWN_REVISION, RtlGetOwnerSecurityDescriptor(sd, arena.allocate(8), arena.allocate(1)));
    }

    @Test
    void shouldReadSelfRelativeOffsetsOnlyInsideTheBuffer() {
        // Self-relative: header (20) + owner S-1-5-18 at 20 (12 bytes) + an empty DACL at 32 (8 bytes).
        MemorySegment sd = arena.allocate(40, 4);
        sd.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        sd.set(USHORT, 2, (short) (0x8000 | 0x0004));
        sd.set(ULONG, 4, 20);
        sd.set(ULONG, 16, 32);
        sd.set(ValueLayout.JAVA_BYTE, 20, (byte) 1);
        sd.set(ValueLayout.JAVA_BYTE, 21, (byte) 1);
        sd.set(ValueLayout.JAVA_BYTE, 27, (byte) 5);
        sd.set(ULONG, 28, 18);
        MemorySegment.copy(new byte[] {2, 0, 8, 0, 0, 0, 0, 0}, 0, sd, ValueLayout.JAVA_BYTE, 32, 8);
        assertEquals(20 + 12 + 8, RtlLengthSecurityDescriptor(sd));
        MemorySegment pointer = arena.allocate(8);
        assertEquals(STATUS_SUCCESS, RtlGetOwnerSecurityDescriptor(sd, pointer, arena.allocate(1)));
        assertEquals(sd.address() + 20, pointer.get(ValueLayout.JAVA_LONG, 0));
        assertTrue(RtlValidRelativeSecurityDescriptor(sd, 40, 1 | 4));
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, 40, 2), "no group");
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, 39, 0), "the DACL runs past the length given");
        sd.set(ValueLayout.JAVA_BYTE, 21, (byte) 6);                       // the owner claims 6 sub-authorities: past the end
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, 40, 0));
        sd.set(ValueLayout.JAVA_BYTE, 21, (byte) 1);
        sd.set(ULONG, 4, 22);                                              // a misaligned owner offset
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, 40, 0));
        sd.set(ULONG, 4, 20);
        sd.set(ULONG, 16, 4000);                                           // a lying DACL offset
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, 40, 0));
        assertFalse(RtlValidRelativeSecurityDescriptor(sd, -1, 0), "the length never exceeds the buffer");
        assertThrows(IllegalArgumentException.class, () -> RtlLengthSecurityDescriptor(sd));
    }

    @Test
    void shouldNeverReadOutsideARandomSelfRelativeDescriptor() {
        java.util.Random random = new java.util.Random(14);
        for (int i = 0; i < 5_000; i++) {
            MemorySegment sd = arena.allocate(1 + random.nextInt(120), 4);
            byte[] bytes = new byte[(int) sd.byteSize()];
            random.nextBytes(bytes);
            if (bytes.length >= 20 && random.nextBoolean()) {
                bytes[0] = 1;
                bytes[3] = (byte) 0x80;
                for (int f = 4; f < 20; f += 4) {
                    int offset = random.nextInt(8) == 0 ? 0 : random.nextInt(bytes.length + 8) & ~3;
                    bytes[f] = (byte) offset;
                    bytes[f + 1] = 0;
                    bytes[f + 2] = 0;
                    bytes[f + 3] = 0;
                }
            }
            MemorySegment.copy(bytes, 0, sd, ValueLayout.JAVA_BYTE, 0, bytes.length);
            RtlValidRelativeSecurityDescriptor(sd, random.nextInt(), random.nextInt(16));
        }
    }

    @Test
    void shouldMapGenericBitsThroughTheMappingAndClearThem() {
        // FILE_GENERIC_READ 0x120089, FILE_GENERIC_WRITE 0x120116, FILE_GENERIC_EXECUTE 0x1200A0, FILE_ALL_ACCESS 0x1F01FF.
        MemorySegment mapping = arena.allocate(16, 4);
        mapping.set(ULONG, 0, 0x120089);
        mapping.set(ULONG, 4, 0x120116);
        mapping.set(ULONG, 8, 0x1200A0);
        mapping.set(ULONG, 12, 0x1F01FF);
        MemorySegment mask = arena.allocate(4, 4);
        mask.set(ULONG, 0, 0x80000000 | 0x20000000 | 0x1);
        RtlMapGenericMask(mask, mapping);
        assertEquals(0x120089 | 0x1200A0 | 0x1, mask.get(ULONG, 0));
        mask.set(ULONG, 0, 0x10000000);
        RtlMapGenericMask(mask, mapping);
        assertEquals(0x1F01FF, mask.get(ULONG, 0));
        mask.set(ULONG, 0, 0x00100000);
        RtlMapGenericMask(mask, mapping);
        assertEquals(0x00100000, mask.get(ULONG, 0), "no generic bit: unchanged");
    }
}
