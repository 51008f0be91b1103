package dev.offkern.runtime.counters;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A live-counters file, the way Aeron's {@code cnc.dat} carries a media driver's counters: a header,
 * then Agrona's counters metadata buffer, then its values buffer, memory-mapped by the kernel that
 * writes it and by any process that watches it.
 *
 * <pre>
 *   0x0000  header ({@link #HEADER}, {@link #HEADER_LENGTH} bytes; native byte order)
 *             magic              "OFFKCNTR" (8 ASCII bytes)
 *             version            {@link #FORMAT_VERSION}; 0 while the writer initialises (written last, release)
 *             state              {@link #RUNNING}, {@link #HALTED}, {@link #CLOSED} (release)
 *             pid                the writing JVM's process id
 *             processStartMillis its start time (epoch ms, 0 if unknown): a reused pid is not mistaken for it
 *             bootMillis         when the kernel booted (epoch ms)
 *             heartbeatMillis    when the values were last published (epoch ms, release)
 *             intervalMillis     the publishing period
 *             metadataOffset/Length, valuesOffset/Length   where Agrona's two buffers are
 *             kernelSequence     the kernel's boot number in its JVM (1, 2, ...)
 *             processorCount     the kernel's logical processors
 *             description        UTF-8, descriptionLength bytes: the JVM's main command
 *   0x1000  metadata buffer ({@link #MAX_COUNTERS} × {@code CountersReader.METADATA_LENGTH})
 *   ...     values buffer   ({@link #MAX_COUNTERS} × {@code CountersReader.COUNTER_LENGTH})
 * </pre>
 *
 * <p>The writer creates the file under a temporary name, fills the header except the version,
 * sets the version with a release store and only then renames it into place, so a reader never
 * sees a partly written header. A kernel that closes stores {@link #CLOSED} and deletes the file; a
 * reader that still has it mapped sees CLOSED. A file whose state is not CLOSED but whose process
 * is gone is stale ({@link CountersSnapshot.Status#STALE}).
 *
 * <p>Agrona's {@link UnsafeBuffer} reaches {@code jdk.internal.misc.Unsafe}: a JVM that writes or
 * reads counters needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (class path)
 * or {@code =org.agrona} (module path); without it {@link #create} and {@link #open} throw an
 * {@link IllegalStateException} saying so.
 */
public final class CountersFile implements AutoCloseable {
    /** "OFFKCNTR" as the header's first 8 bytes (native order long of those ASCII bytes on x86-64). */
    public static final long MAGIC = MemorySegment.ofArray("OFFKCNTR".getBytes(StandardCharsets.US_ASCII))
            .get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    /** The format this class writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Header state: the kernel runs. */
    public static final int RUNNING = 1;
    /** Header state: a bug check halted the kernel (it still publishes until closed). */
    public static final int HALTED = 2;
    /** Header state: the kernel closed; the values are its last. */
    public static final int CLOSED = 3;
    /** Counters a file can hold (both pools' tags, every processor's DPC queues, the rest). */
    public static final int MAX_COUNTERS = 8192;
    /** Bytes of the description field. */
    public static final int DESCRIPTION_CAPACITY = 256;
    /** File name suffix of a counters file. */
    public static final String SUFFIX = ".counters";

    /** The header's layout; every header offset below is computed from it. */
    public static final StructLayout HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("magic"),
            ValueLayout.JAVA_INT.withName("version"),
            ValueLayout.JAVA_INT.withName("state"),
            ValueLayout.JAVA_LONG.withName("pid"),
            ValueLayout.JAVA_LONG.withName("processStartMillis"),
            ValueLayout.JAVA_LONG.withName("bootMillis"),
            ValueLayout.JAVA_LONG.withName("heartbeatMillis"),
            ValueLayout.JAVA_LONG.withName("intervalMillis"),
            ValueLayout.JAVA_INT.withName("metadataOffset"),
            ValueLayout.JAVA_INT.withName("metadataLength"),
            ValueLayout.JAVA_INT.withName("valuesOffset"),
            ValueLayout.JAVA_INT.withName("valuesLength"),
            ValueLayout.JAVA_INT.withName("kernelSequence"),
            ValueLayout.JAVA_INT.withName("processorCount"),
            ValueLayout.JAVA_INT.withName("descriptionLength"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.sequenceLayout(DESCRIPTION_CAPACITY, ValueLayout.JAVA_BYTE).withName("description"))
            .withName("OFFKERN_COUNTERS_HEADER");
    /** Bytes reserved for the header: one page, so that Agrona's buffers start page-aligned. */
    public static final int HEADER_LENGTH = 4096;

    static final long MAGIC_OFFSET = offset("magic");
    static final long VERSION_OFFSET = offset("version");
    static final long STATE_OFFSET = offset("state");
    static final long PID_OFFSET = offset("pid");
    static final long PROCESS_START_OFFSET = offset("processStartMillis");
    static final long BOOT_OFFSET = offset("bootMillis");
    static final long HEARTBEAT_OFFSET = offset("heartbeatMillis");
    static final long INTERVAL_OFFSET = offset("intervalMillis");
    static final long METADATA_OFFSET_OFFSET = offset("metadataOffset");
    static final long METADATA_LENGTH_OFFSET = offset("metadataLength");
    static final long VALUES_OFFSET_OFFSET = offset("valuesOffset");
    static final long VALUES_LENGTH_OFFSET = offset("valuesLength");
    static final long SEQUENCE_OFFSET = offset("kernelSequence");
    static final long PROCESSORS_OFFSET = offset("processorCount");
    static final long DESCRIPTION_LENGTH_OFFSET = offset("descriptionLength");
    static final long DESCRIPTION_OFFSET = offset("description");

    private static final int METADATA_LENGTH = MAX_COUNTERS * org.agrona.concurrent.status.CountersReader.METADATA_LENGTH;
    private static final int VALUES_LENGTH = MAX_COUNTERS * org.agrona.concurrent.status.CountersReader.COUNTER_LENGTH;

    private final Path path;
    private final Arena arena;
    private final MemorySegment header;
    private final UnsafeBuffer metadata;
    private final UnsafeBuffer values;

    private CountersFile(Path path, Arena arena, MemorySegment mapped) {
        this.path = path;
        this.arena = arena;
        this.header = mapped.asSlice(0, HEADER_LENGTH);
        int mo = (int) INT.getVolatile(mapped, METADATA_OFFSET_OFFSET); // volatile: after the version's acquire, plain would do
        int ml = (int) INT.getVolatile(mapped, METADATA_LENGTH_OFFSET);
        int vo = (int) INT.getVolatile(mapped, VALUES_OFFSET_OFFSET);
        int vl = (int) INT.getVolatile(mapped, VALUES_LENGTH_OFFSET);
        if (mo < HEADER_LENGTH || ml <= 0 || vo < mo + ml || vl <= 0 || (long) vo + vl > mapped.byteSize()) {
            throw new IllegalStateException(path + ": buffer bounds out of the file (metadata " + mo + "+" + ml + ", values "
                    + vo + "+" + vl + ", file " + mapped.byteSize() + " bytes)");
        }
        try {
            this.metadata = new UnsafeBuffer(mapped.address() + mo, ml);
            this.values = new UnsafeBuffer(mapped.address() + vo, vl);
        } catch (LinkageError e) {
            throw agronaNeedsUnsafe(e);
        }
    }

    private static long offset(String name) {
        return HEADER.byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    /** The error a JVM without access to {@code jdk.internal.misc} gets. */
    static IllegalStateException agronaNeedsUnsafe(LinkageError e) {
        return new IllegalStateException("offkern live counters use Agrona's UnsafeBuffer, which needs "
                + "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED (class path) or =org.agrona (module path): " + e, e);
    }

    /** What the header of a new file says about its writer. */
    record Identity(long pid, long processStartMillis, long bootMillis, long intervalMillis, int kernelSequence,
                    int processorCount, String description) {
    }

    /**
     * Creates {@code dir/name} (a temporary name first, renamed into place once the header is
     * complete), mapped read-write; the caller owns it. Replaces a file of the same name (a stale
     * one: the name carries the pid).
     */
    static CountersFile create(Path dir, String name, Identity id) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(name);
        Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
        Arena arena = Arena.ofShared();
        try {
            long size = (long) HEADER_LENGTH + METADATA_LENGTH + VALUES_LENGTH;
            MemorySegment mapped;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.truncate(0);
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {0}), size - 1); // sparse: untouched pages cost nothing
                mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
            mapped.set(ValueLayout.JAVA_LONG, MAGIC_OFFSET, MAGIC);
            mapped.set(ValueLayout.JAVA_INT, STATE_OFFSET, RUNNING);
            mapped.set(ValueLayout.JAVA_LONG, PID_OFFSET, id.pid());
            mapped.set(ValueLayout.JAVA_LONG, PROCESS_START_OFFSET, id.processStartMillis());
            mapped.set(ValueLayout.JAVA_LONG, BOOT_OFFSET, id.bootMillis());
            mapped.set(ValueLayout.JAVA_LONG, HEARTBEAT_OFFSET, id.bootMillis());
            mapped.set(ValueLayout.JAVA_LONG, INTERVAL_OFFSET, id.intervalMillis());
            mapped.set(ValueLayout.JAVA_INT, METADATA_OFFSET_OFFSET, HEADER_LENGTH);
            mapped.set(ValueLayout.JAVA_INT, METADATA_LENGTH_OFFSET, METADATA_LENGTH);
            mapped.set(ValueLayout.JAVA_INT, VALUES_OFFSET_OFFSET, HEADER_LENGTH + METADATA_LENGTH);
            mapped.set(ValueLayout.JAVA_INT, VALUES_LENGTH_OFFSET, VALUES_LENGTH);
            mapped.set(ValueLayout.JAVA_INT, SEQUENCE_OFFSET, id.kernelSequence());
            mapped.set(ValueLayout.JAVA_INT, PROCESSORS_OFFSET, id.processorCount());
            byte[] d = id.description().getBytes(StandardCharsets.UTF_8);
            int n = Math.min(d.length, DESCRIPTION_CAPACITY);
            MemorySegment.copy(MemorySegment.ofArray(d), 0, mapped, DESCRIPTION_OFFSET, n);
            mapped.set(ValueLayout.JAVA_INT, DESCRIPTION_LENGTH_OFFSET, n);
            INT.setRelease(mapped, VERSION_OFFSET, FORMAT_VERSION); // release: a reader that sees the version sees the header
            CountersFile file = new CountersFile(target, arena, mapped);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Maps {@code file} read-only for watching.
     *
     * @throws NoSuchFileException if it is gone (its kernel closed)
     * @throws IllegalStateException if it is no counters file, not yet initialised, or of another format version
     */
    public static CountersFile open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < HEADER_LENGTH) {
                    throw new IllegalStateException(file + " is no offkern counters file (" + size + " bytes, shorter than its header)");
                }
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            if (mapped.get(ValueLayout.JAVA_LONG, MAGIC_OFFSET) != MAGIC) {
                throw new IllegalStateException(file + " is no offkern counters file (no OFFKCNTR magic)");
            }
            int version = (int) INT.getAcquire(mapped, VERSION_OFFSET); // acquire: pairs with create()'s release
            if (version != FORMAT_VERSION) {
                throw new IllegalStateException(file + " has counters format version " + version + "; this offkern reads version "
                        + FORMAT_VERSION + (version == 0 ? " (its writer has not finished creating it)" : ""));
            }
            return new CountersFile(file, arena, mapped);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file's path. */
    public Path path() {
        return path;
    }

    /** Agrona's metadata buffer (counter records: state, type id, key, label). */
    UnsafeBuffer metadataBuffer() {
        return metadata;
    }

    /** Agrona's values buffer (one 8-byte value per counter, two cache lines apart). */
    UnsafeBuffer valuesBuffer() {
        return values;
    }

    int state() {
        return (int) INT.getAcquire(header, STATE_OFFSET); // acquire: pairs with setState's release
    }

    /** Release store: the values published before it are visible to a reader that sees the state. */
    void setState(int state) {
        INT.setRelease(header, STATE_OFFSET, state);
    }

    long heartbeatMillis() {
        return (long) LONG.getAcquire(header, HEARTBEAT_OFFSET); // acquire: pairs with heartbeat()'s release
    }

    /** Release store of the publish time, after the values of that publish. */
    void heartbeat(long epochMillis) {
        LONG.setRelease(header, HEARTBEAT_OFFSET, epochMillis);
    }

    long pid() {
        return header.get(ValueLayout.JAVA_LONG, PID_OFFSET);
    }

    long processStartMillis() {
        return header.get(ValueLayout.JAVA_LONG, PROCESS_START_OFFSET);
    }

    long bootMillis() {
        return header.get(ValueLayout.JAVA_LONG, BOOT_OFFSET);
    }

    long intervalMillis() {
        return header.get(ValueLayout.JAVA_LONG, INTERVAL_OFFSET);
    }

    int kernelSequence() {
        return header.get(ValueLayout.JAVA_INT, SEQUENCE_OFFSET);
    }

    int processorCount() {
        return header.get(ValueLayout.JAVA_INT, PROCESSORS_OFFSET);
    }

    String description() {
        int n = Math.clamp(header.get(ValueLayout.JAVA_INT, DESCRIPTION_LENGTH_OFFSET), 0, DESCRIPTION_CAPACITY);
        byte[] b = new byte[n];
        MemorySegment.copy(header, ValueLayout.JAVA_BYTE, DESCRIPTION_OFFSET, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Unmaps the file (the caller no longer uses its buffers). */
    @Override
    public void close() {
        arena.close();
    }

    // ===== VarHandle mechanics =====
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
}
