package dev.offkern.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offkern.layout.Structures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code offkern completion}: the script is valid bash and completes commands, options and structures. */
class CompletionCommandTest {

    @TempDir
    Path dir;

    @Test
    void shouldPrintABashScriptForTheWholeCommandTree() {
        CliRun r = CliRun.of("completion");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("complete -F _complete_offkern"), r.out());
        for (String c : Main.commandLine().getSubcommands().keySet()) {
            assertTrue(r.out().contains(c), c);
        }
        for (String s : Structures.names()) {
            assertTrue(r.out().contains(s), s);
        }
    }

    @Test
    void shouldCompleteCommandsOptionsAndStructuresInBash() throws Exception {
        Path script = dir.resolve("offkern.bash");
        Files.writeString(script, CliRun.of("completion").out());
        assertEquals(List.of("layouts"), complete(script, "lay"));
        assertEquals(List.of("poolmon", "probe"), complete(script, "p").stream().sorted().toList());
        assertEquals(List.of("--format"), complete(script, "layouts", "--for"));
        assertEquals(List.of("SLIST_HEADER"), complete(script, "layouts", "SLIST_H"));
        assertEquals(List.of("--max-size"), complete(script, "dump", "--max"));
    }

    /** What bash completes for {@code offkern words...} (the last word is the one being typed). */
    private static List<String> complete(Path script, String... words) throws IOException, InterruptedException {
        String line = "offkern " + String.join(" ", words);
        // compopt only works inside a completion bash itself started; here the function is called directly.
        String program = "source '" + script + "'\n"
                + "compopt() { :; }\n"
                + "COMP_WORDS=(" + line + ")\n"
                + "COMP_CWORD=" + words.length + "\n"
                + "COMP_LINE='" + line + "'\n"
                + "COMP_POINT=${#COMP_LINE}\n"
                + "_complete_offkern offkern \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Process p = new ProcessBuilder("bash", "--norc", "--noprofile", "-c", program).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash finished");
        assertEquals(0, p.exitValue(), out);
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void shouldBeValidBashSyntax() throws Exception {
        Path script = dir.resolve("offkern.bash");
        Files.writeString(script, CliRun.of("completion").out());
        Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }
}
