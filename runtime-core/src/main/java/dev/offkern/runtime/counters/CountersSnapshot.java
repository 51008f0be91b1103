package dev.offkern.runtime.counters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.status.CountersReader;

/**
 * What a watcher reads from a {@link CountersFile} at one moment: the header (who writes it, its
 * state, when it last published) and every allocated counter with its value.
 *
 * @param file            the counters file
 * @param status          RUNNING, HALTED, CLOSED, or STALE (the header says running or halted but its
 *                        process is gone: the kernel never closed)
 * @param pid             the writing JVM's process id
 * @param bootMillis      when the kernel booted (epoch ms)
 * @param heartbeatMillis when the values were last published (epoch ms)
 * @param intervalMillis  the publishing period
 * @param kernelSequence  the kernel's boot number within its JVM
 * @param processorCount  the kernel's logical processors
 * @param description     the writing JVM's main command
 * @param takenMillis     when this snapshot was read (epoch ms)
 * @param counters        the counters in id order
 */
public record CountersSnapshot(Path file, Status status, long pid, long bootMillis, long heartbeatMillis, long intervalMillis,
                               int kernelSequence, int processorCount, String description, long takenMillis,
                               List<Counter> counters) {

    /** The kernel's state as a watcher sees it. */
    public enum Status {
        /** Running and publishing. */
        RUNNING,
        /** Halted by a bug check (its process still runs and publishes). */
        HALTED,
        /** Closed: these are its last values. */
        CLOSED,
        /** The header says running or halted, but the process that wrote it is gone. */
        STALE
    }

    /**
     * One counter.
     *
     * @param id     its Agrona counter id
     * @param type   its kind, or null for a type id this reader does not know
     * @param typeId its Agrona type id
     * @param key0   first key int (see {@link CounterType})
     * @param key1   second key int
     * @param label  its label
     * @param value  its value
     */
    public record Counter(int id, CounterType type, int typeId, int key0, int key1, String label, long value) {
    }

    public CountersSnapshot {
        counters = List.copyOf(counters);
    }

    /** Reads every counter of {@code file} now, with its writer's liveness. */
    public static CountersSnapshot take(CountersFile file) {
        List<Counter> out = new ArrayList<>();
        CountersReader reader = new CountersReader(file.metadataBuffer(), file.valuesBuffer());
        reader.forEach((counterId, typeId, keyBuffer, label) -> out.add(new Counter(counterId, CounterType.of(typeId), typeId,
                keyBuffer.getInt(0), keyBuffer.getInt(4), label, reader.getCounterValue(counterId))));
        int state = file.state();
        long pid = file.pid();
        Status status = switch (state) {
            case CountersFile.CLOSED -> Status.CLOSED;
            case CountersFile.HALTED -> Status.HALTED;
            default -> Status.RUNNING;
        };
        if (status != Status.CLOSED && !processAlive(pid, file.processStartMillis())) {
            status = Status.STALE;
        }
        return new CountersSnapshot(file.path(), status, pid, file.bootMillis(), file.heartbeatMillis(), file.intervalMillis(),
                file.kernelSequence(), file.processorCount(), file.description(), System.currentTimeMillis(), out);
    }

    /**
     * Whether process {@code pid} runs and is the one that started at {@code startMillis} (epoch ms;
     * 0: unknown, the pid alone decides), so that a reused pid does not make a stale file look live.
     */
    public static boolean processAlive(long pid, long startMillis) {
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        if (startMillis == 0) {
            return true;
        }
        return handle.get().info().startInstant().map(i -> i.toEpochMilli() == startMillis).orElse(true);
    }

    /** The value of the counter of {@code type} with keys {@code key0}, {@code key1}, or 0 if there is none. */
    public long value(CounterType type, int key0, int key1) {
        for (Counter c : counters) {
            if (c.type() == type && c.key0() == key0 && c.key1() == key1) {
                return c.value();
            }
        }
        return 0;
    }

    /** The sum of every counter of {@code type}. */
    public long sum(CounterType type) {
        long s = 0;
        for (Counter c : counters) {
            if (c.type() == type) {
                s += c.value();
            }
        }
        return s;
    }

    /** The counters of {@code type}, in id order. */
    public List<Counter> of(CounterType type) {
        return counters.stream().filter(c -> c.type() == type).toList();
    }
}
