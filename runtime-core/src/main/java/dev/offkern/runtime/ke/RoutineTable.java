package dev.offkern.runtime.ke;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * A kernel's one table of routine pointers: what every routine-pointer field (KDPC.DeferredRoutine,
 * KBUGCHECK_CALLBACK_RECORD.CallbackRoutine, LOOKASIDE_LIST_EX.AllocateEx/FreeEx, ...) may hold, and
 * what the kernel may therefore call through it.
 *
 * <ul>
 *   <li><b>Java routines.</b> Each gets an upcall stub ({@link Linker#upcallStub}) so that native code
 *       reading the structure can call it; the field holds the stub's address. Java dispatch maps the
 *       address back to the Java routine ({@link #routineAt}) and calls it directly, never through the
 *       stub. {@link #stubFor} makes one stub per routine object for the kernel's lifetime (registering
 *       the same routine twice reuses it); {@link #publish}/{@link #unpublish} enter stubs whose arena
 *       the caller owns (a lookaside list's routines live until the list is deleted).</li>
 *   <li><b>Native routines.</b> The embedder registers the native libraries whose functions it stores
 *       in structures ({@link #registerNativeLibrary(Path)}); the table records each library's
 *       executable mappings from {@code /proc/self/maps}. A pointer inside one of them is a native
 *       routine, called through a downcall ({@link #isNativeCode}).</li>
 *   <li>Anything else is no routine: the caller raises its bug check instead of jumping into it.</li>
 * </ul>
 *
 * <p>Reads ({@link #routineAt}, {@link #isNativeCode}) are wait-free: they read a copy-on-write
 * snapshot through one volatile load. Registration is blocking (this object's monitor) and rare.
 * A stub address is never reused for another routine while the kernel runs: kernel-lifetime stubs
 * stay mapped until {@link #close}.
 */
public final class RoutineTable {
    /*
     * Implementation overview.
     * javaRoutines: stub address -> routine object, a Long2ObjectHashMap replaced whole on every
     * change (copy-on-write) and published by a volatile write; readers never lock. Registration is
     * O(n) in the table's size for the copy, which is fine: routines are registered a handful of
     * times (the same routine object reuses its stub), never per operation.
     * nativeRanges: sorted, disjoint [start, end) pairs in one long[] (start at 2i, end at 2i+1),
     * copy-on-write as well; lookup is a binary search.
     */
    private final Arena arena = Arena.ofShared();
    private final Map<Object, Long> byRoutine = new IdentityHashMap<>();
    private volatile Long2ObjectHashMap<Object> javaRoutines = new Long2ObjectHashMap<>();
    private volatile long[] nativeRanges = new long[0];
    /**
     * Stub address → the owner id of the driver whose code made it (the calling thread's
     * {@link ThreadState#driverOwner} when the stub was made; absent: the kernel's or the embedder's).
     * Copy-on-write like javaRoutines. A routine object shared by two drivers keeps its first owner.
     */
    private volatile Long2ObjectHashMap<Integer> owners = new Long2ObjectHashMap<>();
    private final List<String> nativeLibraries = new ArrayList<>();
    private final List<Arena> libraryArenas = new ArrayList<>();
    private boolean closed;

    /**
     * The stub address of {@code routine}, creating the stub (kernel lifetime) on first use.
     *
     * @param target     a method handle of type {@code descriptor} that calls the routine (already bound to it)
     * @param descriptor the native signature of the routine type
     */
    public synchronized long stubFor(Object routine, MethodHandle target, FunctionDescriptor descriptor) {
        ensureOpen();
        Long known = byRoutine.get(routine);
        if (known != null) {
            claim(known); // a routine first stubbed outside any driver belongs to the first driver that uses it
            return known;
        }
        long address = Linker.nativeLinker().upcallStub(target, descriptor, arena).address();
        byRoutine.put(routine, address);
        publish(address, routine);
        claim(address);
        return address;
    }

    /** Records the calling thread's driver (if it runs one's code) as the owner of the stub at {@code address}, unless it has one. */
    private void claim(long address) {
        ThreadState caller = ThreadState.peek();
        if (caller != null && caller.kernel().routines() == this && caller.driverOwner() != 0 && !owners.containsKey(address)) {
            Long2ObjectHashMap<Integer> next = new Long2ObjectHashMap<>(owners);
            next.put(address, Integer.valueOf(caller.driverOwner()));
            owners = next; // volatile write: publishes the table to lock-free readers (under this object's monitor)
        }
    }

    /** Enters a stub the caller made (and whose arena it owns) for Java dispatch to {@code dispatch}. */
    public synchronized long publish(long stub, Object dispatch) {
        ensureOpen();
        Long2ObjectHashMap<Object> next = new Long2ObjectHashMap<>(javaRoutines);
        next.put(stub, dispatch);
        javaRoutines = next; // volatile write: publishes the fully built table to lock-free readers
        return stub;
    }

    /** Removes a stub entered with {@link #publish} (its arena is about to go). */
    public synchronized void unpublish(long stub) {
        if (closed) {
            return;
        }
        Long2ObjectHashMap<Object> next = new Long2ObjectHashMap<>(javaRoutines);
        next.remove(stub);
        javaRoutines = next; // volatile write: as publish()
    }

    /**
     * The owner id of the driver whose code made the stub at {@code address} (0: none, or no stub).
     * Wait-free.
     */
    public int ownerOf(long address) {
        Long2ObjectHashMap<Integer> o = owners; // volatile read: pairs with the write in stubFor()
        if (o.isEmpty()) {
            return 0;
        }
        Integer owner = o.get(address);
        return owner == null ? 0 : owner;
    }

    /** Records {@code owner} as the owner of the stub at {@code address} unless it has one (a driver storing a routine in its own object). */
    public synchronized void claim(long address, int owner) {
        if (owner != 0 && !owners.containsKey(address)) {
            Long2ObjectHashMap<Integer> next = new Long2ObjectHashMap<>(owners);
            next.put(address, Integer.valueOf(owner));
            owners = next; // volatile write: as stubFor()
        }
    }

    /** Forgets the owner of every stub owned by {@code owner} (its id is about to be given to another driver). */
    public synchronized void forgetOwner(int owner) {
        Long2ObjectHashMap<Integer> next = new Long2ObjectHashMap<>(owners);
        next.values().removeIf(o -> o == owner);
        owners = next; // volatile write: as stubFor()
    }

    /** The Java routine (or dispatch object) whose stub is at {@code address}, or null. Wait-free. */
    public Object routineAt(long address) {
        return javaRoutines.get(address); // volatile read of the table: pairs with publish()
    }

    /** Whether {@code address} lies in an executable mapping of a registered native library. Wait-free. */
    public boolean isNativeCode(long address) {
        long[] r = nativeRanges; // volatile read: pairs with the write in addRanges()
        int lo = 0;
        int hi = r.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(address, r[2 * mid]) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(address, r[2 * mid + 1]) >= 0) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /**
     * Loads the shared library at {@code library} (dlopen, kept loaded until the kernel closes) and
     * registers its executable mappings: function pointers into it may then be stored in routine
     * fields. Returns its symbols.
     *
     * @throws IllegalArgumentException if the library cannot be loaded or has no executable mapping
     */
    public synchronized SymbolLookup registerNativeLibrary(Path library) {
        ensureOpen();
        Path real;
        try {
            real = library.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("registerNativeLibrary: no such library " + library, e);
        }
        Arena libArena = Arena.ofShared();
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(real, libArena);
        } catch (IllegalArgumentException e) {
            libArena.close();
            throw new IllegalArgumentException("registerNativeLibrary: cannot load " + real + ": " + e.getMessage(), e);
        }
        libraryArenas.add(libArena);
        addRanges(real.toString());
        return lookup;
    }

    /**
     * Registers the executable mappings of the already loaded library that defines {@code symbol}
     * in {@code lookup} (a library the embedder loaded itself).
     *
     * @throws IllegalArgumentException if the symbol is absent or not in a file-backed mapping
     */
    public synchronized void registerNativeLibrary(SymbolLookup lookup, String symbol) {
        ensureOpen();
        long address = lookup.find(symbol).orElseThrow(() -> new IllegalArgumentException(
                "registerNativeLibrary: the lookup has no symbol '" + symbol + "'")).address();
        for (Mapping m : mappings()) {
            if (Long.compareUnsigned(address, m.start) >= 0 && Long.compareUnsigned(address, m.end) < 0) {
                if (m.path.isEmpty() || !m.path.startsWith("/")) {
                    throw new IllegalArgumentException("registerNativeLibrary: '" + symbol + "' is in an anonymous mapping");
                }
                addRanges(m.path);
                return;
            }
        }
        throw new IllegalArgumentException("registerNativeLibrary: '" + symbol + "' at 0x" + Long.toHexString(address)
                + " is in no mapping of /proc/self/maps");
    }

    /** The registered native libraries' paths. */
    public synchronized List<String> nativeLibraries() {
        return List.copyOf(nativeLibraries);
    }

    private void addRanges(String path) {
        List<long[]> found = new ArrayList<>();
        for (Mapping m : mappings()) {
            if (m.executable && m.path.equals(path)) {
                found.add(new long[] {m.start, m.end});
            }
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("registerNativeLibrary: " + path + " has no executable mapping in this process");
        }
        long[] old = nativeRanges;
        List<long[]> all = new ArrayList<>();
        for (int i = 0; i < old.length; i += 2) {
            all.add(new long[] {old[i], old[i + 1]});
        }
        all.addAll(found);
        all.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : all) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && Long.compareUnsigned(r[0], last[1]) <= 0) {
                last[1] = Long.compareUnsigned(r[1], last[1]) > 0 ? r[1] : last[1];
            } else {
                merged.add(r.clone());
            }
        }
        long[] next = new long[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            next[2 * i] = merged.get(i)[0];
            next[2 * i + 1] = merged.get(i)[1];
        }
        nativeRanges = next; // volatile write: publishes the new ranges to lock-free readers
        if (!nativeLibraries.contains(path)) {
            nativeLibraries.add(path);
        }
    }

    private record Mapping(long start, long end, boolean executable, String path) {
    }

    /** This process's mappings, from /proc/self/maps ("start-end perms offset dev inode path"). */
    private static List<Mapping> mappings() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/maps to find a library's code", e);
        }
        List<Mapping> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            String[] f = line.trim().split("\\s+", 6);
            if (f.length < 5) {
                continue;
            }
            int dash = f[0].indexOf('-');
            long start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
            long end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
            out.add(new Mapping(start, end, f[1].indexOf('x') >= 0, f.length == 6 ? f[5] : ""));
        }
        return out;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed");
        }
    }

    /** Frees every kernel-lifetime stub and unloads the registered libraries (kernel close). */
    public synchronized void close() {
        if (!closed) {
            closed = true;
            byRoutine.clear();
            javaRoutines = new Long2ObjectHashMap<>();
            nativeRanges = new long[0];
            arena.close();
            for (Arena a : libraryArenas) {
                a.close();
            }
            libraryArenas.clear();
        }
    }

    @Override
    public synchronized String toString() {
        return "RoutineTable[" + javaRoutines.size() + " Java routines, native " + nativeLibraries + ", ranges "
                + Arrays.toString(nativeRanges) + "]";
    }
}
