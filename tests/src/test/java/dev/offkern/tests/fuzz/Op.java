package dev.offkern.tests.fuzz;

import java.util.List;

/**
 * One fuzzer operation: a short scenario over one or more DDI routines (named in {@link #routines},
 * which is what the surface coverage test counts), with arguments the body draws from the
 * {@link Ctx}: live objects, hostile pointers, boundary values.
 *
 * @param name     unique name, used in findings and in {@link KnownFindings}
 * @param routines the DDI routines the body may call
 * @param weight   relative frequency
 * @param body     the scenario
 */
record Op(String name, List<String> routines, int weight, Body body) {

    @FunctionalInterface
    interface Body {
        void run(Ctx c) throws Throwable;
    }

    static Op of(String name, int weight, Body body, String... routines) {
        return new Op(name, List.of(routines), weight, body);
    }
}
