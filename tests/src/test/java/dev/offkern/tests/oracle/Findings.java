package dev.offkern.tests.oracle;

import dev.offkern.layout.mingw.KnownDifference;
import dev.offkern.layout.Abi;
import dev.offkern.layout.mingw.KnownDifference.Kind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What one oracle run found for one ABI: failures, and the known differences it confirmed still hold. */
final class Findings {
    final Abi abi;
    final List<KnownDifference> known;
    final List<String> failures = new ArrayList<>();
    final Set<KnownDifference> confirmed = new LinkedHashSet<>();

    Findings(Abi abi, List<KnownDifference> known) {
        this.abi = abi;
        this.known = known;
    }

    void fail(String message) {
        failures.add(message);
    }

    void confirm(KnownDifference d) {
        confirmed.add(d);
    }

    /** The known difference for that structure, member (null: the structure) and kind under this ABI, or null. */
    KnownDifference find(String struct, String field, Kind kind) {
        for (KnownDifference d : known) {
            if (d.matches(struct, abi, field, kind)) {
                return d;
            }
        }
        return null;
    }

    /** Whether {@code member} is the mingw-w64 name of a RENAMED difference of {@code struct}. */
    boolean isRenamedTarget(String struct, String member) {
        return known.stream().anyMatch(d -> d.kind() == Kind.RENAMED && d.struct().equals(struct)
                && d.abis().contains(abi) && member.equals(d.mingwName()));
    }
}
