package dev.offkern.runtime.ob;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The object namespace: absolute names ({@code \BaseNamedObjects\Foo}) of named objects, flat (no
 * directory objects yet: a name is one key, and a lookup that finds no exact match tries its
 * prefixes for an object whose type has a parse procedure). Keys are compared ignoring case
 * (Windows' object manager is case-insensitive by default); each entry keeps the name as created.
 *
 * <p>A named temporary object leaves the namespace when its handle count drops to 0: the handle
 * count change and the removal happen under this object's monitor, and so does a lookup's first
 * reference, so a lookup never revives an object whose last handle closed. A permanent one
 * (OBJ_PERMANENT) keeps its name without handles: the namespace holds one reference on it from its
 * insertion until the name goes (ObMakeTemporaryObject, then no handle left), and reports when that
 * reference is to be dropped; the caller drops it outside the lock. Blocking (one monitor);
 * names are created and opened far less often than handles are used.
 */
final class ObjectNamespace {
    record Entry(String name, long header, ObjectType type) {
    }

    private final Map<String, Entry> byName = new HashMap<>();
    private final Map<Long, String> byHeader = new HashMap<>();
    /** Headers of named objects that are permanent now (their name survives the last handle). */
    private final java.util.Set<Long> permanent = new java.util.HashSet<>();
    /** Headers of named objects on which the namespace holds a reference (inserted permanent; dropped with the name). */
    private final java.util.Set<Long> charged = new java.util.HashSet<>();
    /** Lock-free hint for close: whether any object is named (most never are); volatile. */
    private volatile int count;

    static String key(String name) {
        return name.toUpperCase(Locale.ROOT);
    }

    /** Validates an absolute name: starts with '\', no empty component, no trailing '\' (except the root). */
    static boolean isValid(String name) {
        if (name.length() < 2 || name.charAt(0) != '\\' || name.endsWith("\\")) {
            return false;
        }
        return !name.contains("\\\\") && name.indexOf('\0') < 0;
    }

    /**
     * Inserts {@code name}; returns the existing entry instead if the name is taken (nothing changes
     * then). {@code underLock} charges the counts (with {@code isPermanent}: the namespace's reference too).
     */
    synchronized Entry insert(String name, long header, ObjectType type, boolean isPermanent, Runnable underLock) {
        String k = key(name);
        Entry e = byName.get(k);
        if (e != null) {
            return e;
        }
        underLock.run();
        byName.put(k, new Entry(name, header, type));
        byHeader.put(header, k);
        if (isPermanent) {
            permanent.add(header);
            charged.add(header);
        }
        count++;
        return null;
    }

    /**
     * ObMakeTemporaryObject: {@code header}'s object is temporary from now on; if it has no handle
     * ({@code handleCount} read under the lock) its name goes now. Returns whether the namespace's
     * reference is to be dropped (the name went and the namespace held one).
     */
    synchronized boolean makeTemporary(long header, java.util.function.LongSupplier handleCount, Runnable clearFlagUnderLock) {
        clearFlagUnderLock.run();
        if (!permanent.remove(header)) {
            return false;
        }
        if (handleCount.getAsLong() != 0) {
            return false; // the last handle's close removes the name and drops the reference
        }
        String k = byHeader.remove(header);
        if (k != null) {
            byName.remove(k);
            count--;
        }
        return charged.remove(header);
    }

    /** The entry named {@code name}, with {@code onFound} run on it under the lock, or null. */
    synchronized Entry lookup(String name, java.util.function.Consumer<Entry> onFound) {
        Entry e = byName.get(key(name));
        if (e != null) {
            onFound.accept(e);
        }
        return e;
    }

    /** Whether {@code header} may be named (a racy hint: false is exact only when no object is named). */
    boolean mayBeNamed() {
        return count != 0;
    }

    /**
     * Runs {@code decrement} (the handle-count decrement, returning the old count) under the lock and
     * removes the object's name if it was the last handle.
     */
    synchronized long closeHandle(long header, java.util.function.LongSupplier decrement, boolean[] dropReference) {
        long old = decrement.getAsLong();
        if (old == 1 && !permanent.contains(header)) {
            String k = byHeader.remove(header);
            if (k != null) {
                byName.remove(k);
                count--;
                dropReference[0] = charged.remove(header);
            }
        }
        return old;
    }

    /** The name of the object at {@code header}, or null. */
    synchronized String nameOf(long header) {
        String k = byHeader.get(header);
        return k == null ? null : byName.get(k).name();
    }

    /**
     * Removes the name of {@code header} if it has one (its creation failed after the insert); returns
     * whether the namespace held a reference on it (the caller drops it).
     */
    synchronized boolean remove(long header) {
        String k = byHeader.remove(header);
        if (k != null) {
            byName.remove(k);
            count--;
        }
        permanent.remove(header);
        return charged.remove(header);
    }
}
