package dev.offkern.tests.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offkern.layout.Abi;
import dev.offkern.layout.Field;
import dev.offkern.layout.StructSpec;
import dev.offkern.layout.Structures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The oracle for the security structures that only the user-mode SDK declares (winnt.h: the object and
 * callback ACEs, {@code KnownDifference.undeclared} for the ddk-based {@link WdkOracleTest}): every size,
 * alignment, top-level member offset and member size of offkern's layout is compiled against mingw-w64's
 * winnt.h and read back from the object's {@code .rdata}. Skipped (loudly) or failed like
 * {@link WdkOracleTest} when the cross compilers are missing.
 */
class WinntAceOracleTest {

    private static final List<String> WINNT_ONLY = List.of("ACCESS_ALLOWED_OBJECT_ACE", "ACCESS_ALLOWED_CALLBACK_ACE");
    private static final int MAGIC = 0x4B4F4E57;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Abi.class)
    void shouldAgreeWithMingwWinntForTheUserModeAces(Abi abi) throws Exception {
        MingwToolchain toolchain = new MingwToolchain(abi);
        Optional<String> missing = toolchain.missing();
        if (missing.isPresent()) {
            String message = "WINNT ORACLE NOT RUN for " + abi.id() + ": " + missing.get();
            if (Boolean.getBoolean("offkern.requireWdkOracle")) {
                fail(message + " (required: offkern.requireWdkOracle=true)");
            }
            System.err.println("********** " + message + " **********");
            Assumptions.abort(message);
        }
        StringBuilder c = new StringBuilder("#include <windows.h>\n#include <stddef.h>\n")
                .append("const unsigned int offkern_values[] = { 0x").append(Integer.toHexString(MAGIC)).append("u");
        List<String> labels = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (String s : WINNT_ONLY) {
            StructSpec spec = Structures.get(s, abi);
            c.append(",\n  sizeof(").append(s).append("), _Alignof(").append(s).append(")");
            labels.add(s + " size");
            expected.add(spec.size());
            labels.add(s + " align");
            expected.add(spec.align());
            for (Field f : spec.fields()) {
                if (f.name().contains(".")) {
                    continue;
                }
                c.append(",\n  offsetof(").append(s).append(", ").append(f.name()).append("), sizeof(((")
                        .append(s).append(" *)0)->").append(f.name()).append(")");
                labels.add(s + "." + f.name() + " offset");
                expected.add(spec.offset(f.name()));
                labels.add(s + "." + f.name() + " size");
                expected.add(f.size());
            }
        }
        c.append(" };\n");
        Path dir = Files.createDirectories(Path.of("target", "winnt-oracle", abi.id()));
        Path source = dir.resolve("aces.c");
        Files.writeString(source, c);
        ByteBuffer data = ByteBuffer.wrap(toolchain.compileReadOnlyData(source)).order(ByteOrder.LITTLE_ENDIAN);
        int at = -1;
        for (int i = 0; i + 4 <= data.limit(); i += 4) {
            if (data.getInt(i) == MAGIC) {
                at = i + 4;
                break;
            }
        }
        if (at < 0) {
            fail("the marker is not in the .rdata of " + source);
        }
        for (int i = 0; i < labels.size(); i++) {
            long mingw = Integer.toUnsignedLong(data.getInt(at + 4 * i));
            assertEquals(mingw, (long) expected.get(i), labels.get(i) + " (" + abi.id() + "): offkern vs mingw-w64's winnt.h");
        }
    }
}
