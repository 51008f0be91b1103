package dev.offkern.jcstress;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs jcstress ({@code org.openjdk.jcstress.Main}) with the given arguments and turns its verdict
 * into an exit status, which jcstress itself does not do: exit 1 if any test had a FORBIDDEN outcome
 * ("Failed tests") or could not run ("Error tests"), or if no test ran at all. {@code mvn verify} runs
 * it in a short mode (see the module's pom and README.md).
 */
public final class ShortRun {
    private static final Pattern SECTION = Pattern.compile("^\\s*(Interesting|Failed|Error|All remaining) tests:\\s*(.*)$");

    private ShortRun() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
        try {
            org.openjdk.jcstress.Main.main(args);
        } finally {
            System.out.flush();
            System.setOut(original);
        }
        List<String> problems = verdict(captured.toString(StandardCharsets.UTF_8));
        if (!problems.isEmpty()) {
            System.err.println("jcstress short run FAILED: " + String.join("; ", problems));
            System.exit(1);
        }
        System.out.println("jcstress short run passed: no FORBIDDEN outcome, no error");
        System.exit(0); // jcstress may leave non-daemon threads behind
    }

    /** The problems in a jcstress console report: failed or error tests, or no test run at all. */
    static List<String> verdict(String report) {
        List<String> problems = new ArrayList<>();
        boolean sawSummary = false;
        boolean ranSomething = false;
        for (String line : report.split("\\R")) {
            Matcher m = SECTION.matcher(line);
            if (!m.matches()) {
                continue;
            }
            sawSummary = true;
            String what = m.group(1);
            String rest = m.group(2).trim();
            boolean none = rest.startsWith("No matches");
            if (("Failed".equals(what) || "Error".equals(what)) && !none) {
                problems.add(what + " tests: " + rest);
            }
            if (!none) {
                ranSomething = true;
            }
        }
        if (!sawSummary) {
            problems.add("no jcstress summary in the output");
        } else if (!ranSomething) {
            problems.add("no test ran (check the -t filter)");
        }
        return problems;
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
