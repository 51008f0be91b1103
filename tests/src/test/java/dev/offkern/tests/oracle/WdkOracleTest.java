package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifferences;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The WDK layout oracle: every public structure offkern lays out is compiled against mingw-w64's ddk
 * headers with the matching cross compiler, and every size, alignment, member offset, member size
 * and bit field must agree, or be one of the named {@link KnownDifferences}.
 *
 * <p>Without the cross compilers the test is skipped with a loud message, unless the system property
 * {@code offkern.requireWdkOracle=true} (Maven: {@code -Doffkern.requireWdkOracle=true}, set by
 * {@code .ci/run}), where it fails.
 */
class WdkOracleTest {

    private static final boolean REQUIRED = Boolean.getBoolean("offkern.requireWdkOracle");

    @ParameterizedTest(name = "{0}")
    @EnumSource(Abi.class)
    void shouldAgreeWithMingwDdkHeadersForEveryPublicStructure(Abi abi) throws Exception {
        MingwToolchain toolchain = new MingwToolchain(abi);
        Optional<String> missing = toolchain.missing();
        if (missing.isPresent()) {
            String message = "WDK ORACLE NOT RUN for " + abi.id() + ": " + missing.get()
                    + ". Install gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 mingw-w64-x86-64-dev mingw-w64-i686-dev.";
            if (REQUIRED) {
                fail(message + " (required: offkern.requireWdkOracle=true)");
            }
            System.err.println("********** " + message + " **********");
            Assumptions.abort(message);
        }
        List<StructSpec> specs = Structures.all(abi).stream()
                .filter(s -> s.origin() == StructSpec.Origin.PUBLIC)
                .toList();
        WdkOracle oracle = new WdkOracle(toolchain, KnownDifferences.ALL, Path.of("target", "wdk-oracle", abi.id()));
        WdkOracle.Report report = oracle.check(specs);
        System.out.printf("WDK oracle %s: %d structures, %d members (%d bit fields), %d values compared, %d mingw-w64"
                        + " members seen; %d known differences confirmed; not declared by mingw-w64: %s%n",
                abi.id(), report.structures(), report.members(), report.bitFields(), report.values(), report.mingwMembers(),
                report.confirmed().size(), report.undeclared());
        report.confirmed().forEach(d -> System.out.println("  known: " + d));
        assertTrue(report.failures().isEmpty(), () -> report.failures().size() + " layout disagreement(s) with mingw-w64 ("
                + abi.id() + "):\n  " + String.join("\n  ", report.failures()));
    }
}
