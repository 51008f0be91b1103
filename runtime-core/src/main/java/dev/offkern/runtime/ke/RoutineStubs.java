package dev.offkern.runtime.ke;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.IdentityHashMap;
import java.util.Map;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Real function pointers for Java routines: each Java routine stored in a routine-pointer field
 * (KBUGCHECK_CALLBACK_RECORD.CallbackRoutine, later KDPC.DeferredRoutine, ...) gets an upcall stub
 * ({@link Linker#upcallStub}) so native code could call it, and the field holds the stub's
 * address. Java dispatch maps the address back to the Java routine ({@link #routineAt}) without
 * crossing into native code.
 *
 * <p>One stub per routine object (registering the same routine twice reuses its stub). Stubs live
 * in one shared arena until the kernel closes: a field may still hold the address after
 * deregistration, and an address must never be reused for another routine while the kernel runs.
 * Blocking (a monitor); called on registration paths only.
 */
public final class RoutineStubs {
    private final Arena arena = Arena.ofShared();
    private final Map<Object, Long> byRoutine = new IdentityHashMap<>();
    private final Long2ObjectHashMap<Object> byAddress = new Long2ObjectHashMap<>();
    private boolean closed;

    /**
     * The stub address of {@code routine}, creating the stub on first use.
     *
     * @param target     a method handle of type {@code descriptor} that calls the routine (already bound to it)
     * @param descriptor the native signature of the routine type
     */
    public synchronized long stubFor(Object routine, MethodHandle target, FunctionDescriptor descriptor) {
        if (closed) {
            throw new IllegalStateException("this offkern kernel is closed");
        }
        Long known = byRoutine.get(routine);
        if (known != null) {
            return known;
        }
        MemorySegment stub = Linker.nativeLinker().upcallStub(target, descriptor, arena);
        long address = stub.address();
        byRoutine.put(routine, address);
        byAddress.put(address, routine);
        return address;
    }

    /** The Java routine whose stub is at {@code address}, or null. */
    public synchronized Object routineAt(long address) {
        return byAddress.get(address);
    }

    /** Frees every stub (kernel close). */
    public synchronized void close() {
        if (!closed) {
            closed = true;
            byRoutine.clear();
            byAddress.clear();
            arena.close();
        }
    }
}
