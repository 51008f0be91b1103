package dev.offkern.layout.render;

import dev.offkern.layout.Abi;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What every machine-readable layout output says about itself: which Windows build the numbers
 * describe (Windows 10 22H2, 10.0.19045; docs/layout-sources.md), which ABI, and which program
 * produced them.
 *
 * @param producer        the producing program ({@code offkern})
 * @param version         its version as the build stamped it ({@code 0.1.0-SNAPSHOT})
 * @param windowsRelease  the Windows release the layouts follow ({@code Windows 10 22H2})
 * @param windowsMajor    its major version (10)
 * @param windowsMinor    its minor version (0)
 * @param windowsBuild    its build number (19045)
 * @param abi             the ABI the layouts are for
 */
public record LayoutMetadata(String producer, String version, String windowsRelease, int windowsMajor,
                             int windowsMinor, int windowsBuild, Abi abi) {

    private static final String VERSION = readVersion();

    /** The metadata of offkern's own layouts for {@code abi}. */
    public static LayoutMetadata of(Abi abi) {
        return new LayoutMetadata("offkern", VERSION, "Windows 10 22H2", 10, 0, 19045, abi);
    }

    /** The version without a qualifier ({@code 0.1.0} for {@code 0.1.0-SNAPSHOT}): three numbers. */
    public String numericVersion() {
        int dash = version.indexOf('-');
        return dash < 0 ? version : version.substring(0, dash);
    }

    /** {@code 10.0.19045}. */
    public String windowsVersion() {
        return windowsMajor + "." + windowsMinor + "." + windowsBuild;
    }

    /** The data model's name: {@code LLP64} on x64, {@code ILP32} on x86. */
    public String dataModel() {
        return abi == Abi.X64 ? "LLP64" : "ILP32";
    }

    private static String readVersion() {
        try (InputStream in = LayoutMetadata.class.getResourceAsStream("offkern-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("offkern-version.properties is missing from dev.offkern.layout.render");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            if (!v.matches("[0-9]+\\.[0-9]+\\.[0-9]+(-.*)?")) {
                throw new IllegalStateException("offkern-version.properties has no filtered version: '" + v + "'");
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
