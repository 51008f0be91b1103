package dev.offkern.layout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of every structure offkern lays out, in a stable order: what {@code offkern layouts}
 * prints and what the WDK oracle checks.
 */
public final class Structures {

    private static final Map<String, Function<Abi, StructSpec>> ALL = new LinkedHashMap<>();

    static {
        // ===== Public structures (WDK headers; checked by the oracle) =====
        register("LIST_ENTRY", LIST_ENTRY::of);
        register("DISPATCHER_HEADER", DISPATCHER_HEADER::of);
        register("KTIMER", KTIMER::of);

        // ===== end Public structures =====

        // ===== Opaque objects (offkern's layouts at Windows 10 22H2 offsets) =====
        register("EPROCESS", EPROCESS::of);
        register("ETHREAD", ETHREAD::of);
        register("OBJECT_HEADER", OBJECT_HEADER::of);
        register("OBJECT_TYPE", OBJECT_TYPE::of);
        register("OBJECT_TYPE_INITIALIZER", OBJECT_TYPE_INITIALIZER::of);
        register("EX_TIMER", EX_TIMER::of);
        register("IO_WORKITEM", IO_WORKITEM::of);
        register("KINTERRUPT", KINTERRUPT::of);
        register("POOL_HEADER", POOL_HEADER::of);

        // ===== end Opaque objects =====
    }

    private Structures() {
    }

    private static void register(String name, Function<Abi, StructSpec> factory) {
        ALL.put(name, factory);
    }

    /** Every structure's name, in registry order. */
    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /** Every structure under {@code abi}, in registry order. */
    public static List<StructSpec> all(Abi abi) {
        List<StructSpec> specs = new ArrayList<>();
        for (Function<Abi, StructSpec> f : ALL.values()) {
            specs.add(f.apply(abi));
        }
        return Collections.unmodifiableList(specs);
    }

    /** The structure called {@code name} (case-insensitive); the error lists the valid names. */
    public static StructSpec get(String name, Abi abi) {
        Function<Abi, StructSpec> f = ALL.get(name.toUpperCase(Locale.ROOT));
        if (f == null) {
            throw new IllegalArgumentException("unknown structure '" + name + "' (valid: " + String.join(", ", ALL.keySet()) + ")");
        }
        return f.apply(abi);
    }
}
