package dev.offkern.runtime;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of docs/architecture.md, checked on runtime-core's compiled classes:
 * layout ← shim ← runtime managers ← ddi ← cli/benchmarks, in one direction.
 *
 * <pre>
 *   nt  ←  verifier  ←  mm  ←  ke  ←  pool  ←  ex, rtl  ←  counters  ←  runtime (Kernel)  ←  ddi
 * </pre>
 */
class ArchitectureTest {

    private static JavaClasses runtime;

    @BeforeAll
    static void importRuntimeCore() {
        runtime = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.offkern.ddi", "dev.offkern.nt", "dev.offkern.runtime");
        // Sanity: the import saw the managers (an empty import would make every rule pass vacuously).
        for (Class<?> c : List.of(Kernel.class, dev.offkern.runtime.ke.KernelCore.class,
                dev.offkern.runtime.pool.Pool.class, dev.offkern.ddi.Ex.class, dev.offkern.nt.NtStatus.class)) {
            assertTrue(runtime.contain(c), c.getName() + " imported (of " + runtime.size() + " classes)");
        }
    }

    @Test
    void noRuntimeClassShouldDependOnTheDdiFacade() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.offkern.runtime..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.ddi..")
                .because("the facade is the top layer: managers never call back up into it");
        rule.check(runtime);
    }

    @Test
    void noManagerShouldDependOnTheKernelCompositionRoot() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.offkern.runtime.(*)..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime")
                .because("managers take the parts they need (address space, bug-check sink, pool, the thread's"
                        + " state); the kernel is resolved at the ddi boundary");
        rule.check(runtime);
    }

    @Test
    void runtimeCorePackagesShouldBeFreeOfCycles() {
        slices().matching("dev.offkern.(**)").should().beFreeOfCycles().check(runtime);
    }

    @Test
    void theNtVocabularyShouldDependOnNothingInTheRuntime() {
        noClasses().that().resideInAPackage("dev.offkern.nt..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.offkern.runtime..", "dev.offkern.ddi..",
                        "dev.offkern.shim..")
                .because("the NT vocabulary is behaviour-free and sits below every manager")
                .check(runtime);
    }

    @Test
    void managersShouldFollowTheLayerOrder() {
        // Each manager may use only the packages below it: nt <- verifier <- mm <- ke <- pool <- {ex, rtl}.
        String[] order = {"verifier", "mm", "ke", "pool"};
        for (int i = 0; i < order.length; i++) {
            String[] above = java.util.Arrays.copyOfRange(order, i + 1, order.length);
            List<String> forbidden = new java.util.ArrayList<>();
            for (String a : above) {
                forbidden.add("dev.offkern.runtime." + a + "..");
            }
            forbidden.add("dev.offkern.runtime.ex..");
            forbidden.add("dev.offkern.runtime.rtl..");
            noClasses().that().resideInAPackage("dev.offkern.runtime." + order[i] + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(String[]::new))
                    .because(order[i] + " sits below " + String.join(", ", forbidden))
                    .check(runtime);
        }
        noClasses().that().resideInAPackage("dev.offkern.runtime.ex..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime.rtl..")
                .because("rtl may use ex, not the reverse")
                .check(runtime);
        noClasses().that().resideInAnyPackage("dev.offkern.runtime.verifier..", "dev.offkern.runtime.mm..",
                        "dev.offkern.runtime.ke..", "dev.offkern.runtime.pool..", "dev.offkern.runtime.ex..",
                        "dev.offkern.runtime.rtl..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime.se..")
                .because("se (the security run-time library) sits above ex and rtl")
                .check(runtime);
    }

    @Test
    void noLowerManagerShouldDependOnTheObjectManager() {
        // ob (object types, headers, handles) uses ke (waits, timers), pool and verifier; they never use it.
        noClasses().that().resideInAnyPackage("dev.offkern.runtime.verifier..", "dev.offkern.runtime.mm..",
                        "dev.offkern.runtime.ke..", "dev.offkern.runtime.pool..", "dev.offkern.runtime.ex..",
                        "dev.offkern.runtime.rtl..", "dev.offkern.runtime.se..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime.ob..")
                .because("the object manager sits above the dispatcher, the pools and the executive")
                .check(runtime);
    }

    @Test
    void noOtherManagerShouldDependOnTheIoManager() {
        // io (drivers, devices, IRPs, cancel-safe queues) uses ob, ke, pool and verifier; none of them uses it.
        noClasses().that().resideInAnyPackage("dev.offkern.runtime.verifier..", "dev.offkern.runtime.mm..",
                        "dev.offkern.runtime.ke..", "dev.offkern.runtime.pool..", "dev.offkern.runtime.ex..",
                        "dev.offkern.runtime.rtl..", "dev.offkern.runtime.se..", "dev.offkern.runtime.ob..",
                        "dev.offkern.runtime.ps..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime.io..")
                .because("the I/O manager sits above the object manager and the dispatcher")
                .check(runtime);
    }

    @Test
    void noManagerShouldDependOnTheLiveCounters() {
        // counters reads ke, pool and ex and is started by Kernel: it sits above every manager.
        noClasses().that().resideInAnyPackage("dev.offkern.runtime.verifier..", "dev.offkern.runtime.mm..",
                        "dev.offkern.runtime.ke..", "dev.offkern.runtime.pool..", "dev.offkern.runtime.ex..",
                        "dev.offkern.runtime.rtl..")
                .should().dependOnClassesThat().resideInAPackage("dev.offkern.runtime.counters..")
                .because("the live counters publish what the managers count; the managers do not know them")
                .check(runtime);
    }

    @Test
    void theModuleShouldExportOnlyTheFacadeTheKernelAndTheVocabulary() throws Exception {
        // runtime-core's own descriptor: next to Kernel's class file (target/classes, or the jar).
        Path root = Path.of(Kernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor module;
        if (Files.isDirectory(root)) {
            try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
                module = ModuleDescriptor.read(in);
            }
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(root);
                 InputStream in = Files.newInputStream(jar.getPath("module-info.class"))) {
                module = ModuleDescriptor.read(in);
            }
        }
        assertEquals("dev.offkern.runtime", module.name());
        Set<String> unqualified = module.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(Set.of("dev.offkern.ddi", "dev.offkern.nt", "dev.offkern.runtime")), unqualified);
        for (ModuleDescriptor.Exports e : module.exports()) {
            if (e.isQualified()) {
                assertEquals(Set.of("dev.offkern.cli"), e.targets(), "qualified export of " + e.source());
            }
        }
    }
}
