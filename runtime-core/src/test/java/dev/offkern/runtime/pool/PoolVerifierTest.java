package dev.offkern.runtime.pool;

import dev.offkern.nt.PoolTags;
import dev.offkern.nt.PoolType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.runtime.ke.Irql;
import dev.offkern.nt.BugCheck;
import dev.offkern.nt.BugCheckCode;
import dev.offkern.runtime.verifier.Verifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every pool check: the bug check code and its four parameters, and the pool intact afterwards. */
class PoolVerifierTest {
    private static final int TAG = PoolTags.tag("Vrfy");
    private final Kernel kernel = Kernel.boot().leakReportSink(s -> { });
    private final Pool paged = kernel.pagedPool();
    private final Pool nonPaged = kernel.nonPagedPool();

    @BeforeAll
    static void verifierIsOn() {
        assertTrue(Verifier.ENABLED, "these tests need -Doffkern.verifier=true (the default)");
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    private static void assertBugCheck(int code, long[] parameters, BugCheck b) {
        assertEquals(BugCheckCode.name(code), BugCheckCode.name(b.code()), b.getMessage());
        assertArrayEquals(parameters, b.parameters(), b.getMessage());
    }

    private long header(Pool pool, long p) {
        return kernel.addressSpace().resolve(p - 16, 16).get(ValueLayout.JAVA_LONG, 0);
    }

    @Test
    void shouldBugCheckDoubleFreeOfSmallBlock() {
        long p = paged.allocate(40, TAG, 0);
        paged.free(p, TAG);
        long contents = header(paged, p);
        assertEquals(0, (contents >>> 24) & 0xFF, "freed: PoolType 0");
        BugCheck b = assertThrows(BugCheck.class, () -> paged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x07, 0, contents, p}, b);
    }

    @Test
    void shouldBugCheckDoubleFreeOfLargeBlock() {
        long p = nonPaged.allocate(10_000, TAG, 0);
        nonPaged.free(p, TAG);
        BugCheck b = assertThrows(BugCheck.class, () -> nonPaged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x07, 0, 0, p}, b);
    }

    @Test
    void shouldBugCheckFreeWithWrongTagAndLeaveTheBlockAllocated() {
        long p = nonPaged.allocate(40, TAG, 0);
        int wrong = PoolTags.tag("Othr");
        BugCheck b = assertThrows(BugCheck.class, () -> nonPaged.free(p, wrong));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x0A, p, TAG, wrong}, b);
        nonPaged.free(p, TAG); // still allocated: the failed free changed nothing
        long q = nonPaged.allocate(10_000, TAG, 0);
        BugCheck large = assertThrows(BugCheck.class, () -> nonPaged.free(q, wrong));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x0A, q, TAG, wrong}, large);
        nonPaged.free(q, 0);
    }

    @Test
    void shouldAcceptTagZeroExceptForProtectedBlocks() {
        long p = paged.allocate(40, TAG, 0);
        paged.free(p, 0);
        int prot = TAG | PoolTags.PROTECTED_POOL;
        long q = paged.allocate(40, prot, 0);
        BugCheck b = assertThrows(BugCheck.class, () -> paged.free(q, 0));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x0A, q, prot & 0xFFFFFFFFL, 0}, b);
        BugCheck without = assertThrows(BugCheck.class, () -> paged.free(q, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x0A, q, prot & 0xFFFFFFFFL, TAG}, without);
        paged.free(q, prot);
    }

    @Test
    void shouldBugCheckFreeOfAnAddressNoPoolHandedOut() {
        try (Arena arena = Arena.ofConfined()) {
            long foreign = arena.allocate(64, 16).address() + 16;
            BugCheck b = assertThrows(BugCheck.class, () -> paged.free(foreign, TAG));
            assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x42, foreign, 0, 0}, b);
        }
        long inOtherPool = nonPaged.allocate(40, TAG, 0);
        BugCheck other = assertThrows(BugCheck.class, () -> paged.free(inOtherPool, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x42, inOtherPool, 0, 0}, other);
        nonPaged.free(inOtherPool, TAG);
    }

    @Test
    void shouldBugCheckFreeInsideABlockOrOfAPageNoBlockIsCarvedFrom() {
        long p = paged.allocate(200, TAG, 0);
        BugCheck inside = assertThrows(BugCheck.class, () -> paged.free(p + 16, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x46, p + 16, 0, 0}, inside);
        long big = paged.allocate(20_000, TAG, 0);
        BugCheck tail = assertThrows(BugCheck.class, () -> paged.free(big + 4096, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x46, big + 4096, 0, 0}, tail);
        BugCheck odd = assertThrows(BugCheck.class, () -> paged.free(big + 8, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x46, big + 8, 0, 0}, odd);
        paged.free(p, TAG);
        paged.free(big, TAG);
    }

    @Test
    void shouldBugCheckCorruptedBlockSize() {
        long p = paged.allocate(40, TAG, 0);
        MemorySegment h = kernel.addressSpace().resolve(p - 16, 16);
        h.set(ValueLayout.JAVA_BYTE, 2, (byte) 9);
        long contents = h.get(ValueLayout.JAVA_LONG, 0);
        BugCheck b = assertThrows(BugCheck.class, () -> paged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_HEADER, new long[] {0x07, 0, contents, p - 16}, b);
    }

    @Test
    void shouldBugCheckCorruptedPreviousSize() {
        long first = paged.allocate(1000, TAG, 0);
        long second = paged.allocate(1000, TAG, 0);
        assertEquals(first + 1024, second);
        MemorySegment h = kernel.addressSpace().resolve(second - 16, 16);
        h.set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
        BugCheck b = assertThrows(BugCheck.class, () -> paged.free(second, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_HEADER, new long[] {0x05, second - 16, 0, first - 16}, b);
        paged.free(first, TAG);
    }

    @Test
    void shouldBugCheckCorruptedPoolIndex() {
        long p = paged.allocate(40, TAG, 0);
        MemorySegment h = kernel.addressSpace().resolve(p - 16, 16);
        h.set(ValueLayout.JAVA_BYTE, 1, (byte) 7);
        long contents = h.get(ValueLayout.JAVA_LONG, 0);
        BugCheck b = assertThrows(BugCheck.class, () -> paged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x01, p - 16, contents, 0}, b);
        h.set(ValueLayout.JAVA_BYTE, 1, (byte) 0);
        paged.free(p, TAG);
    }

    @Test
    void shouldBugCheckOverrunIntoTheSlackAtFree() {
        long p = nonPaged.allocate(100, TAG, 0); // a 128-byte block: 12 bytes of slack
        MemorySegment whole = kernel.addressSpace().resolve(p, 112);
        whole.set(ValueLayout.JAVA_BYTE, 101, (byte) 0x41);
        BugCheck b = assertThrows(BugCheck.class, () -> nonPaged.free(p, TAG));
        long found = whole.get(ValueLayout.JAVA_LONG_UNALIGNED, 101);
        assertEquals(0x41, found & 0xFF);
        assertBugCheck(BugCheckCode.BAD_POOL_HEADER, new long[] {0x21, p, 100, found}, b);
        whole.set(ValueLayout.JAVA_BYTE, 101, Pool.GUARD);
        nonPaged.free(p, TAG); // repaired: the free goes through
    }

    @Test
    void shouldBugCheckOverrunPastALargeBlock() {
        long p = nonPaged.allocate(5000, TAG, 0);
        MemorySegment whole = kernel.addressSpace().resolve(p, 8192);
        whole.set(ValueLayout.JAVA_BYTE, 5000, (byte) 0);
        BugCheck b = assertThrows(BugCheck.class, () -> nonPaged.free(p, TAG));
        assertEquals(BugCheckCode.BAD_POOL_HEADER, b.code());
        assertEquals(0x21, b.parameter1());
        assertEquals(p, b.parameter2());
        assertEquals(5000, b.parameter3());
        assertEquals(0, b.parameter4() & 0xFF);
    }

    @Test
    void shouldBugCheckPagedPoolUsedAboveApcLevel() {
        long p = paged.allocate(40, TAG, 0);
        paged.irqlSourceForTest(() -> Irql.APC_LEVEL);
        paged.free(paged.allocate(40, TAG, 0), TAG); // APC_LEVEL is allowed
        paged.irqlSourceForTest(() -> Irql.DISPATCH_LEVEL);
        BugCheck alloc = assertThrows(BugCheck.class, () -> paged.allocate(40, TAG, 0));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x08, Irql.DISPATCH_LEVEL, PoolType.PagedPool, 40}, alloc);
        BugCheck free = assertThrows(BugCheck.class, () -> paged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x09, Irql.DISPATCH_LEVEL, PoolType.PagedPool, p}, free);
        paged.irqlSourceForTest(Irql::current);
        paged.free(p, TAG);
    }

    @Test
    void shouldBugCheckNonPagedPoolUsedAboveDispatchLevel() {
        long p = nonPaged.allocate(40, TAG, 0);
        nonPaged.irqlSourceForTest(() -> Irql.DISPATCH_LEVEL);
        nonPaged.free(nonPaged.allocate(40, TAG, 0), TAG); // DISPATCH_LEVEL is allowed
        nonPaged.irqlSourceForTest(() -> Irql.HIGH_LEVEL);
        BugCheck alloc = assertThrows(BugCheck.class, () -> nonPaged.allocate(64, TAG, 0));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x08, Irql.HIGH_LEVEL, PoolType.NonPagedPool, 64}, alloc);
        BugCheck free = assertThrows(BugCheck.class, () -> nonPaged.free(p, TAG));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x09, Irql.HIGH_LEVEL, PoolType.NonPagedPool, p}, free);
        nonPaged.irqlSourceForTest(Irql::current);
        nonPaged.free(p, TAG);
    }

    @Test
    void shouldBugCheckZeroByteRequest() {
        BugCheck b = assertThrows(BugCheck.class, () -> paged.allocate(0, TAG, 0));
        assertBugCheck(BugCheckCode.BAD_POOL_CALLER, new long[] {0x00, 0, PoolType.PagedPool, TAG}, b);
    }

    @Test
    void shouldReturnZeroForANegativeSize() {
        assertEquals(0, paged.allocate(-1, TAG, 0));
    }
}
