package dev.offkern.runtime.ke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher lock word's false-sharing padding, measured: HotSpot's field offsets of the lock
 * object (its own and its superclasses' fields), read with {@code Unsafe.objectFieldOffset}, must put
 * {@code held} at least two cache lines (128 bytes) away from anything another object may hold —
 * the object's start on one side (the previous object's fields end there at the latest) and the
 * object's end on the other. And the lock excludes, under contention.
 */
class DispatcherLockTest {
    private static final long TWO_LINES = 128;

    /**
     * {@code sun.misc.Unsafe.objectFieldOffset}, reached reflectively (jdk.unsupported opens
     * sun.misc; the runtime module does not read it at compile time).
     */
    private static final class FieldOffsets {
        private final Object unsafe;
        private final Method objectFieldOffset;

        FieldOffsets() throws ReflectiveOperationException {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            objectFieldOffset = c.getMethod("objectFieldOffset", Field.class);
        }

        long of(Field field) throws ReflectiveOperationException {
            return (long) objectFieldOffset.invoke(unsafe, field);
        }
    }

    private static long size(Class<?> type) {
        if (type == long.class || type == double.class) {
            return 8;
        }
        if (type == int.class || type == float.class) {
            return 4;
        }
        if (type == short.class || type == char.class) {
            return 2;
        }
        if (type == byte.class || type == boolean.class) {
            return 1;
        }
        return 4; // a (compressed) reference; an upper bound of the footprint check below either way
    }

    @Test
    void shouldKeepTheLockWordTwoCacheLinesAwayFromEveryOtherObjectsFields() throws Exception {
        FieldOffsets u = new FieldOffsets();
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = DispatcherLock.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    fields.add(f);
                }
            }
        }
        Field held = DispatcherLockField.class.getDeclaredField("held");
        long heldOffset = u.of(held);
        long end = 0; // the end of the last field: the object ends at or after it
        for (Field f : fields) {
            end = Math.max(end, u.of(f) + size(f.getType()));
        }
        assertTrue(heldOffset >= TWO_LINES, "held at offset " + heldOffset
                + ": less than 128 bytes after the object's start, where the previous object's fields may end");
        assertTrue(end - (heldOffset + Integer.BYTES) >= TWO_LINES, "the object's fields end " + (end - heldOffset - Integer.BYTES)
                + " bytes after held: less than 128 bytes before the next object's fields may begin");
        for (Field f : fields) {
            if (!f.equals(held)) {
                long o = u.of(f);
                assertTrue(o + size(f.getType()) <= heldOffset || o >= heldOffset + Integer.BYTES,
                        f.getName() + " overlaps held");
            }
        }
    }

    @Test
    void shouldExcludeUnderContention() throws Exception {
        int threads = 4;
        int rounds = 20_000 * LockTestSupport.SCALE;
        int[] counter = new int[1];
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        LockTestSupport.runThreads(LockTestSupport.times(threads, () -> {
            for (int i = 0; i < rounds; i++) {
                DispatcherLock.LOCK.acquire();
                try {
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    counter[0]++; // plain: protected by the lock
                    inside.decrementAndGet();
                } finally {
                    DispatcherLock.LOCK.release();
                }
            }
        }));
        assertEquals(0, overlaps.get(), "two threads inside the lock at once");
        assertEquals(threads * rounds, counter[0], "a lost update: the lock did not order the critical sections");
        assertFalse(DispatcherLock.LOCK.isHeld());
    }
}
