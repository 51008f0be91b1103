package dev.offkern.layout;

import dev.offkern.layout.ke.KTIMER;

import java.util.List;

/**
 * Layouts of other Windows builds that differ from the Windows 10 22H2 ones offkern uses, for
 * documentation ({@code offkern layouts --format table} prints them under their structure).
 * offkern itself always lays structures out as {@link Structures} gives them.
 */
public final class Variants {

    /** One documented variant: a label naming the Windows builds, and the layout there. */
    public record Variant(String label, StructSpec spec) {
    }

    private Variants() {
    }

    /** The documented variants of structure {@code name} under {@code abi} (often none). */
    public static List<Variant> of(String name, Abi abi) {
        if (name.equals("KTIMER") && abi == Abi.X64) {
            // offkern's KTIMER is the split form of Windows 10 2004+ and Windows 11 (Microsoft's
            // symbols); the older single ULONG is what mingw-w64 and earlier builds declare.
            return List.of(new Variant("Windows 8.1 to 10 1909 and mingw-w64's header "
                    + "(same bytes, one ULONG Processor)", KTIMER.legacyX64()));
        }
        return List.of();
    }
}
