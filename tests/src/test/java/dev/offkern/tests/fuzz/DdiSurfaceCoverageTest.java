package dev.offkern.tests.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.ddi.Ex;
import dev.offkern.ddi.Io;
import dev.offkern.ddi.Ke;
import dev.offkern.ddi.Ob;
import dev.offkern.ddi.Ps;
import dev.offkern.ddi.Rtl;
import dev.offkern.ddi.Se;
import dev.offkern.ddi.Zw;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer covers the whole DDI surface: every public routine of the facade classes is named by
 * some operation of the {@link Catalogue} and belongs to a {@link Family} (whose table says which
 * bug checks it may raise). A new manager's routines fail this test until it adds its operations.
 */
class DdiSurfaceCoverageTest {

    /** The DDI facade classes (a new prefix class is added here). */
    static final Class<?>[] FACADE = {Ex.class, Ke.class, Rtl.class, Ob.class, Zw.class, Ps.class, Io.class, Se.class};

    static TreeSet<String> surface() {
        TreeSet<String> names = new TreeSet<>();
        for (Class<?> c : FACADE) {
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())) {
                    names.add(m.getName());
                }
            }
        }
        return names;
    }

    @Test
    void shouldNameEveryPublicDdiRoutineInSomeFuzzerOperation() {
        TreeSet<String> missing = surface();
        missing.removeAll(Catalogue.routines());
        assertEquals(new TreeSet<String>(), missing, "DDI routines no fuzzer operation calls: add them to an operations class");
    }

    @Test
    void shouldNameOnlyRoutinesThatExist() {
        TreeSet<String> unknown = Catalogue.routines();
        unknown.removeAll(surface());
        assertEquals(new TreeSet<String>(), unknown, "operations name routines the DDI surface does not have");
    }

    @Test
    void shouldPutEveryDdiRoutineInAFamily() {
        TreeSet<String> orphans = new TreeSet<>();
        for (String r : surface()) {
            if (Family.of(r) == null) {
                orphans.add(r);
            }
        }
        assertEquals(new TreeSet<String>(), orphans, "routines with no Family (no documented bug-check table)");
    }

    @Test
    void shouldGiveEveryOperationAUniqueName() {
        Set<String> seen = new HashSet<>();
        for (Op op : Catalogue.ALL) {
            assertTrue(seen.add(op.name()), "duplicate operation name " + op.name());
            assertTrue(op.weight() > 0, op.name() + " has no weight");
        }
    }
}
