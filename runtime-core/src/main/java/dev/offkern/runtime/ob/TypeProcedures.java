package dev.offkern.runtime.ob;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.offkern.layout.ob.OBJECT_TYPE_INITIALIZER;
import dev.offkern.nt.NtStatus;
import dev.offkern.nt.OB_CLOSE_METHOD;
import dev.offkern.nt.OB_DELETE_METHOD;
import dev.offkern.nt.OB_OPEN_METHOD;
import dev.offkern.nt.OB_PARSE_METHOD;
import dev.offkern.nt.OB_SECURITY_METHOD;
import dev.offkern.nt.ObjectTypeProcedures;
import dev.offkern.runtime.ke.RoutineTable;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The procedure fields of an OBJECT_TYPE_INITIALIZER and the Java procedures behind them: upcall
 * stubs for Java procedures (so the byte-exact type holds real function pointers native code may
 * call), and the reverse mapping from a field's pointer to its Java procedure. A stub's target
 * catches every exception (native code calling it cannot take a Java exception): an int-returning
 * procedure then returns STATUS_UNHANDLED_EXCEPTION. offkern's own dispatch never goes through a
 * stub: it calls the Java procedure directly. Stateless; thread-safe.
 */
final class TypeProcedures {
    private TypeProcedures() {
    }

    static final FunctionDescriptor OPEN = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_BYTE, ADDRESS, ADDRESS, ADDRESS, JAVA_INT);
    static final FunctionDescriptor CLOSE = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG);
    static final FunctionDescriptor DELETE = FunctionDescriptor.ofVoid(ADDRESS);
    static final FunctionDescriptor PARSE = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_BYTE, JAVA_INT,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    static final FunctionDescriptor SECURITY = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
            ADDRESS, JAVA_INT, ADDRESS);

    /** Writes a stub for each Java procedure into the procedure fields of the initializer at {@code info}. */
    static void install(RoutineTable routines, MemorySegment type, long info, ObjectTypeProcedures p) {
        put(routines, type, info + OBJECT_TYPE_INITIALIZER.OPEN_PROCEDURE_OFFSET, p.OpenProcedure(), OB_OPEN_METHOD.class, OPEN);
        put(routines, type, info + OBJECT_TYPE_INITIALIZER.CLOSE_PROCEDURE_OFFSET, p.CloseProcedure(), OB_CLOSE_METHOD.class, CLOSE);
        put(routines, type, info + OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET, p.DeleteProcedure(), OB_DELETE_METHOD.class, DELETE);
        put(routines, type, info + OBJECT_TYPE_INITIALIZER.PARSE_PROCEDURE_OFFSET, p.ParseProcedure(), OB_PARSE_METHOD.class, PARSE);
        put(routines, type, info + OBJECT_TYPE_INITIALIZER.SECURITY_PROCEDURE_OFFSET, p.SecurityProcedure(), OB_SECURITY_METHOD.class, SECURITY);
    }

    /**
     * The Java procedures whose stubs the initializer at {@code info} names, each field NULL, a stub of
     * a Java procedure of its type, or (refused) anything else.
     *
     * @throws IllegalArgumentException naming the field that holds a pointer to no Java procedure of its type
     */
    static ObjectTypeProcedures read(RoutineTable routines, MemorySegment init, long info) {
        return new ObjectTypeProcedures(
                field(routines, init, info + OBJECT_TYPE_INITIALIZER.OPEN_PROCEDURE_OFFSET, OB_OPEN_METHOD.class, "OpenProcedure"),
                field(routines, init, info + OBJECT_TYPE_INITIALIZER.CLOSE_PROCEDURE_OFFSET, OB_CLOSE_METHOD.class, "CloseProcedure"),
                field(routines, init, info + OBJECT_TYPE_INITIALIZER.DELETE_PROCEDURE_OFFSET, OB_DELETE_METHOD.class, "DeleteProcedure"),
                field(routines, init, info + OBJECT_TYPE_INITIALIZER.PARSE_PROCEDURE_OFFSET, OB_PARSE_METHOD.class, "ParseProcedure"),
                field(routines, init, info + OBJECT_TYPE_INITIALIZER.SECURITY_PROCEDURE_OFFSET, OB_SECURITY_METHOD.class, "SecurityProcedure"));
    }

    /** {@code base} with each null procedure taken from {@code fallback}. */
    static ObjectTypeProcedures merge(ObjectTypeProcedures base, ObjectTypeProcedures fallback) {
        return new ObjectTypeProcedures(
                base.OpenProcedure() != null ? base.OpenProcedure() : fallback.OpenProcedure(),
                base.CloseProcedure() != null ? base.CloseProcedure() : fallback.CloseProcedure(),
                base.DeleteProcedure() != null ? base.DeleteProcedure() : fallback.DeleteProcedure(),
                base.ParseProcedure() != null ? base.ParseProcedure() : fallback.ParseProcedure(),
                base.SecurityProcedure() != null ? base.SecurityProcedure() : fallback.SecurityProcedure());
    }

    private static <T> T field(RoutineTable routines, MemorySegment init, long offset, Class<T> type, String name) {
        long p = init.get(JAVA_LONG, offset);
        if (p == 0) {
            return null;
        }
        Object r = routines.routineAt(p);
        if (type.isInstance(r)) {
            return type.cast(r);
        }
        throw new IllegalArgumentException("OBJECT_TYPE_INITIALIZER." + name + " 0x" + Long.toHexString(p)
                + (routines.isNativeCode(p) ? " is a native routine: offkern calls object-type procedures written in Java only"
                        + " (pass them as ObjectTypeProcedures)" : " is no routine offkern knows (neither a Java procedure's stub nor native code)"));
    }

    private static void put(RoutineTable routines, MemorySegment type, long offset, Object procedure, Class<?> iface,
                            FunctionDescriptor descriptor) {
        if (procedure == null) {
            type.set(JAVA_LONG, offset, 0L);
            return;
        }
        type.set(JAVA_LONG, offset, routines.stubFor(procedure, target(procedure, iface, descriptor), descriptor));
    }

    /** {@code procedure.call} adapted to {@code descriptor}'s types, catching every exception. */
    private static MethodHandle target(Object procedure, Class<?> iface, FunctionDescriptor descriptor) {
        try {
            MethodHandle call = null;
            for (java.lang.reflect.Method m : iface.getMethods()) {
                if (m.getName().equals("call")) {
                    call = MethodHandles.publicLookup().unreflect(m);
                }
            }
            MethodHandle bound = call.bindTo(procedure);
            MethodType nativeType = descriptor.toMethodType();
            MethodHandle adapted = MethodHandles.explicitCastArguments(bound, nativeType);
            Class<?> ret = nativeType.returnType();
            MethodHandle handler = ret == void.class
                    ? MethodHandles.empty(MethodType.methodType(void.class, Throwable.class))
                    : MethodHandles.dropArguments(MethodHandles.constant(int.class, NtStatus.STATUS_UNHANDLED_EXCEPTION), 0, Throwable.class);
            handler = MethodHandles.dropArguments(handler, 1, nativeType.parameterList());
            return MethodHandles.catchException(adapted, Throwable.class, handler);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
