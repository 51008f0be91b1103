package dev.offkern.runtime.ke;

import static dev.offkern.ddi.Ke.KeBugCheckEx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.runtime.Kernel;
import dev.offkern.nt.BugCheck;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dump format: header fields at their documented offsets, sections, and damaged files. */
class CrashDumpFileTest {
    @TempDir
    Path dumps;
    byte[] bytes;

    @BeforeEach
    void dump() throws Exception {
        try (Kernel k = KernelFixture.boot(dumps)) {
            assertThrows(BugCheck.class, () -> KeBugCheckEx(0xC4, 0x30, 2, 1, 0));
            bytes = Files.readAllBytes(k.bugChecks().last().dumpFile());
        }
    }

    @Test
    void shouldWriteTheHeaderAtTheDocumentedOffsets() {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("OFFKDUMP", new String(bytes, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(1, b.getShort(8));
        assertEquals(0, b.getShort(10));
        assertEquals(64, b.getInt(12));
        assertEquals(0xC4, b.getInt(16));
        assertEquals(0, b.getInt(20), "THROW: not halted");
        assertEquals(0x30, b.getLong(24));
        assertEquals(2, b.getLong(32));
        assertEquals(1, b.getLong(40));
        assertEquals(0, b.getLong(48));
        assertTrue(Math.abs(System.currentTimeMillis() - b.getLong(56)) < 60_000);
        assertEquals(CrashDump.SECTION_SYSTEM, b.getInt(64), "the first section follows the header");
    }

    @Test
    void shouldReadBackEverySectionEndingWithEnd() {
        CrashDumpFile f = CrashDumpFile.parse(bytes);
        assertEquals(0xC4, f.code());
        assertArrayEquals(new long[] {0x30, 2, 1, 0}, f.parameters());
        assertEquals(CrashDump.SECTION_END, f.sections().get(f.sections().size() - 1).type());
        assertEquals(1, f.sections(CrashDump.SECTION_SYSTEM).size());
        assertEquals(1, f.sections(CrashDump.SECTION_NESTED).size());
        assertTrue(f.toText().contains("DRIVER_VERIFIER_DETECTED_VIOLATION"));
    }

    @Test
    void shouldRejectAWrongMagic() {
        byte[] b = bytes.clone();
        b[0] = 'X';
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b));
        assertTrue(e.getMessage().contains("magic"));
    }

    @Test
    void shouldRejectAnUnknownMajorVersion() {
        byte[] b = bytes.clone();
        b[8] = 2;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b)).getMessage().contains("version 2"));
    }

    @Test
    void shouldRejectATruncatedFile() {
        byte[] b = Arrays.copyOf(bytes, bytes.length - 3);
        assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b));
        assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(Arrays.copyOf(bytes, 40)));
    }

    @Test
    void shouldRejectASectionLongerThanTheFile() {
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 8, Long.MAX_VALUE / 2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b)).getMessage().contains("claims"));
    }

    @Test
    void shouldRejectAFileWithoutEnd() {
        CrashDumpFile f = CrashDumpFile.parse(bytes);
        int endLength = 16 + f.sections().get(f.sections().size() - 1).payload().length;
        byte[] b = Arrays.copyOf(bytes, bytes.length - endLength);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b)).getMessage().contains("END"));
    }

    /** The dump with the SYSTEM section's payload cut to {@code keep} bytes (the length field says so too). */
    private byte[] withSystemPayloadCutTo(int keep) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(CrashDump.SECTION_SYSTEM, b.getInt(64));
        int length = (int) b.getLong(72);
        byte[] cut = new byte[bytes.length - (length - keep)];
        System.arraycopy(bytes, 0, cut, 0, 80 + keep);
        System.arraycopy(bytes, 80 + length, cut, 80 + keep, bytes.length - 80 - length);
        ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putLong(72, keep);
        return cut;
    }

    @Test
    void shouldNameTheSectionFieldAndOffsetOfAFieldCutShort() {
        int nameLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(80);
        byte[] b = withSystemPayloadCutTo(4 + nameLength + 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b));
        assertEquals("SYSTEM section at offset 64: field 'thread id' at offset " + (80 + 4 + nameLength)
                + " cut short: 8 bytes needed, 3 remain in the section", e.getMessage());
    }

    @Test
    void shouldNameAStringWhoseLengthRunsPastItsSection() {
        byte[] b = withSystemPayloadCutTo(6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b));
        assertTrue(e.getMessage().startsWith("SYSTEM section at offset 64: field 'thread name' at offset 80 its length says"), e.getMessage());
    }

    @Test
    void shouldRefuseANestedCountThatCannotFit() {
        CrashDumpFile f = CrashDumpFile.parse(bytes);
        CrashDumpFile.Section nested = f.sections(CrashDump.SECTION_NESTED).getFirst();
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) nested.offset() + 16, 0x7FFF_FFFF);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.parse(b));
        assertTrue(e.getMessage().startsWith("NESTED section at offset " + nested.offset() + ": field 'nested count'"), e.getMessage());
    }

    @Test
    void shouldRefuseARegularFileOverTheCapBeforeReadingIt() throws Exception {
        Path big = dumps.resolve("big.dmp");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.write(bytes);
            f.setLength(1L << 31);   // sparse: 2 GiB, as in the issue
        }
        IllegalArgumentException e = assertThrows(CrashDumpFile.TooLargeException.class, () -> CrashDumpFile.read(big));
        assertEquals("the limit is 268435456 bytes (256 MiB), the file is 2147483648 bytes", e.getMessage());
    }

    @Test
    void shouldRefuseDevZeroAfterItsFirstBytes() {
        Path zero = Path.of("/dev/zero");
        assertTrue(Files.exists(zero), "this test runs on Linux");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.read(zero));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void shouldStopReadingAnEndlessStreamWithAValidHeaderAfterTheCapPlusOneByte() {
        long[] served = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                int value = served[0] < bytes.length ? bytes[(int) served[0]] & 0xFF : 0;
                served[0]++;
                return value;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrashDumpFile.readAtMost(endless, 4096));
        assertTrue(e.getMessage().contains("the limit is 4096 bytes"), e.getMessage());
        assertEquals(4097, served[0], "read exactly cap + 1 bytes");
    }

    @Test
    void shouldReadADumpFromAStreamWithinTheCap() throws Exception {
        byte[] read = CrashDumpFile.readAtMost(new java.io.ByteArrayInputStream(bytes), bytes.length);
        assertArrayEquals(bytes, read);
    }

    @Test
    void shouldFormatGuidsInRegistryForm() {
        byte[] g = {0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8};
        assertEquals("{12345678-1234-5678-0102-030405060708}", CrashDumpFile.guid(g));
    }
}
