package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import dev.offkern.layout.StructSpec;
import java.util.List;

/**
 * Renders structure layouts in one of the {@link LayoutFormat}s: the single entry point the
 * command line uses. Every renderer is a pure function of the layouts it is given.
 */
public final class LayoutRenderer {

    private LayoutRenderer() {
    }

    /**
     * Renders {@code structs} (all laid out for {@code abi}) as {@code format}.
     *
     * @throws IllegalArgumentException if a structure belongs to another ABI
     */
    public static String render(LayoutFormat format, Abi abi, List<StructSpec> structs) {
        for (StructSpec s : structs) {
            if (s.abi() != abi) {
                throw new IllegalArgumentException(s.name() + " is laid out for " + s.abi().id() + ", not " + abi.id());
            }
        }
        return switch (format) {
            case TABLE -> TableRenderer.render(abi, structs);
            case JSON -> JsonRenderer.render(abi, structs);
            case ISF -> IsfRenderer.render(abi, structs);
            case C -> CHeaderRenderer.render(abi, structs);
        };
    }
}
