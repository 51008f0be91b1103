package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Checks offkern's layouts of one ABI against what mingw-w64's compiler computes from its ddk headers,
 * in three stages, each a translation unit generated from the Java layouts and compiled by the cross
 * compiler:
 * <ol>
 *   <li>{@link ExistenceCheck}: which structures and members the headers declare (one line each,
 *       {@code -fsyntax-only -fmax-errors=0}, so one missing member hides nothing);</li>
 *   <li>{@link CoverageCheck}: the other direction, every member the headers declare (from the DWARF
 *       of a unit using each structure) is modelled by offkern;</li>
 *   <li>{@link ValueCheck}: {@code sizeof}, {@code _Alignof}, {@code offsetof} and member {@code sizeof}
 *       of everything, and bit-field positions through all-ones probes, read back from the compiled
 *       object's {@code .rdata}.</li>
 * </ol>
 * Every disagreement is a failure naming structure, member, ABI, offkern's value and mingw-w64's,
 * unless a {@link KnownDifference} names it, and a known difference that no longer shows is a
 * failure too (stale).
 */
final class WdkOracle {

    /** The outcome for one ABI. */
    record Report(Abi abi, int structures, int members, int bitFields, int values, int mingwMembers, List<String> failures,
                  List<KnownDifference> confirmed, Set<String> undeclared) {
    }

    private final MingwToolchain toolchain;
    private final List<KnownDifference> known;
    private final Path workDir;

    WdkOracle(MingwToolchain toolchain, List<KnownDifference> known, Path workDir) {
        this.toolchain = toolchain;
        this.known = known;
        this.workDir = workDir;
    }

    Report check(List<StructSpec> specs) throws IOException {
        Files.createDirectories(workDir);
        Findings findings = new Findings(toolchain.abi(), known);
        ExistenceCheck.Result existence = ExistenceCheck.run(toolchain, specs, findings, workDir);
        int mingwMembers = CoverageCheck.run(toolchain, specs, existence.undeclared(), findings, workDir);
        ValueCheck.Counts counts = ValueCheck.run(toolchain, specs, existence, findings, workDir);
        for (KnownDifference d : known) {
            if (d.abis().contains(toolchain.abi()) && (d.kind() == Kind.ABSENT || d.kind() == Kind.RENAMED)
                    && specs.stream().noneMatch(s -> s.name().equals(d.struct()) && s.hasField(d.field()))) {
                findings.fail(d.struct() + " (" + toolchain.abi().id() + "): exception names a member offkern does not have: " + d);
            }
        }
        return new Report(toolchain.abi(), counts.structures(), counts.members(), counts.bitFields(), counts.values(),
                mingwMembers, findings.failures, List.copyOf(findings.confirmed), existence.undeclared());
    }
}
