package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stage 2 of the oracle, the other direction: every member mingw-w64 declares (read from the DWARF of
 * a unit that uses each structure, see {@link MingwDwarf}) must be modelled by offkern, be the
 * mingw-w64 name of a RENAMED difference, or be a MINGW_ONLY known difference that is still true.
 */
final class CoverageCheck {

    private CoverageCheck() {
    }

    /** Returns how many mingw-w64 members were seen. */
    static int run(MingwToolchain toolchain, List<StructSpec> specs, Set<String> undeclared, Findings findings,
                   Path workDir) throws IOException {
        Abi abi = toolchain.abi();
        StringBuilder dwarfSource = new StringBuilder(MingwToolchain.PRELUDE);
        int t = 0;
        for (StructSpec spec : specs) {
            if (!undeclared.contains(spec.name())) {
                // Through a typedef of our own, so that macro spellings (x86 SLIST_ENTRY) resolve too.
                dwarfSource.append("typedef ").append(spec.name()).append(" offkern_ty").append(t).append("; offkern_ty")
                        .append(t).append(" *offkern_t").append(t).append(";\n");
                t++;
            }
        }
        Path dwarfFile = workDir.resolve("members.c");
        Files.writeString(dwarfFile, dwarfSource);
        MingwDwarf dwarf = new MingwDwarf(toolchain.dwarfInfo(dwarfFile));
        int mingwMembers = 0;
        t = 0;
        for (StructSpec spec : specs) {
            String s = spec.name();
            if (undeclared.contains(s)) {
                continue;
            }
            Map<String, Long> declared = dwarf.members("offkern_ty" + (t++));
            if (declared.isEmpty() && !spec.fields().isEmpty()) {
                findings.fail(s + " (" + abi.id() + "): no members found in mingw-w64's debug information");
            }
            for (String member : declared.keySet()) {
                mingwMembers++;
                KnownDifference only = findings.find(s, member, Kind.MINGW_ONLY);
                boolean renamedTarget = findings.isRenamedTarget(s, member);
                if (spec.hasField(member) || renamedTarget) {
                    if (only != null) {
                        findings.fail(s + "." + member + " (" + abi.id() + "): stale exception, offkern models the member: " + only);
                    }
                } else if (only == null) {
                    findings.fail(s + "." + member + " (" + abi.id() + "): mingw-w64 declares it (at 0x"
                            + Long.toHexString(declared.get(member)) + "), offkern does not model it; add it, or a reasoned"
                            + " KnownDifference.mingwOnly");
                } else {
                    findings.confirm(only);
                }
            }
            for (KnownDifference d : findings.known) {
                if (d.kind() == Kind.MINGW_ONLY && d.struct().equals(s) && d.abis().contains(abi)
                        && !declared.containsKey(d.field())) {
                    findings.fail(s + "." + d.field() + " (" + abi.id() + "): stale exception, mingw-w64 no longer declares"
                            + " the member: " + d);
                }
            }
        }

        return mingwMembers;
    }
}
