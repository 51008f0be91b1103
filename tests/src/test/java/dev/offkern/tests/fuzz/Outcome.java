package dev.offkern.tests.fuzz;

import dev.offkern.nt.BugCheck;
import dev.offkern.nt.KernelHaltedException;
import dev.offkern.nt.NtStatusException;
import java.util.Locale;

/**
 * How one fuzzer step ended, and whether that is an allowed outcome.
 *
 * <p>Allowed: a normal return; an {@link NtStatusException}; a {@link BugCheck} whose code is
 * documented for the routine's {@link Family}; a {@link KernelHaltedException}; an
 * {@link IllegalStateException}, {@link IllegalArgumentException} (with
 * {@link dev.offkern.nt.DatatypeMisalignmentException}) or {@link UnsupportedOperationException}
 * thrown by offkern's own code with a message; a {@link NullPointerException} with a message when
 * the step passed a Java {@code null}; the fuzzer's own {@link FuzzCallbackException} coming back
 * out of a callback it registered. Anything else is a finding: an exception type no routine
 * documents (NullPointerException, IndexOutOfBoundsException, ...), a JDK exception leaking out of
 * offkern (FFM's bare "Already closed" IllegalStateException, its misaligned-access
 * IllegalArgumentException), a bug check whose code the routine's family does not document, or
 * an Error.
 */
record Outcome(Kind kind, String routine, String what, Throwable cause) {

    enum Kind {
        OK, STATUS, BUGCHECK, HALTED, CLOSED, CLEAR_EXCEPTION, CALLBACK, UNDOCUMENTED
    }

    static final Outcome OK = new Outcome(Kind.OK, null, "ok", null);

    boolean allowed() {
        return kind != Kind.UNDOCUMENTED;
    }

    /** The finding signature of an undocumented outcome: routine and exception type (or stop code). */
    String signature() {
        return "UNDOCUMENTED " + routine + " " + what;
    }

    /** Classifies a throwable that ended a step; {@code javaNullPassed}: the step passed a Java null. */
    static Outcome classify(Throwable t, boolean javaNullPassed) {
        String routine = routineOf(t);
        Family family = routine == null ? null : Family.of(routine);
        if (t instanceof FuzzCallbackException) {
            return new Outcome(Kind.CALLBACK, routine, "callback exception", t);
        }
        if (t instanceof BugCheck bc) {
            String what = String.format(Locale.ROOT, "BugCheck 0x%X/0x%X", bc.code(), bc.parameter1());
            if (family != null && family.documents(routine, bc.code(), bc.parameter1())) {
                return new Outcome(Kind.BUGCHECK, routine, what, t);
            }
            return new Outcome(Kind.UNDOCUMENTED, routine, what + (family == null ? " (no DDI routine on the stack)"
                    : " (not documented for " + family + ")"), t);
        }
        if (t instanceof KernelHaltedException) {
            return new Outcome(Kind.HALTED, routine, "halted", t);
        }
        if (t instanceof NtStatusException s) {
            return new Outcome(Kind.STATUS, routine, String.format(Locale.ROOT, "NTSTATUS 0x%08X", s.status()), t);
        }
        boolean byOffkern = thrownByOffkern(t);
        boolean message = t.getMessage() != null && !t.getMessage().isBlank();
        if (routine == null) {
            return new Outcome(Kind.UNDOCUMENTED, "<fuzzer>", t.getClass().getName() + " outside any DDI routine", t);
        }
        if (t instanceof IllegalStateException && byOffkern && message) {
            return new Outcome(t.getMessage().contains("closed") ? Kind.CLOSED : Kind.CLEAR_EXCEPTION, routine,
                    t.getClass().getSimpleName(), t);
        }
        if ((t instanceof IllegalArgumentException || t instanceof UnsupportedOperationException) && byOffkern && message) {
            return new Outcome(Kind.CLEAR_EXCEPTION, routine, t.getClass().getSimpleName(), t);
        }
        if (t instanceof NullPointerException && javaNullPassed && message) {
            return new Outcome(Kind.CLEAR_EXCEPTION, routine, "NullPointerException for a Java null", t);
        }
        String where = byOffkern ? "" : " from " + topFrame(t);
        return new Outcome(Kind.UNDOCUMENTED, routine, t.getClass().getName() + where, t);
    }

    /** The DDI routine the fuzzer called when {@code t} was thrown: the outermost frame in dev.offkern.ddi. */
    static String routineOf(Throwable t) {
        String routine = null;
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("dev.offkern.ddi.") && !e.getMethodName().startsWith("lambda$")
                    && Character.isUpperCase(e.getMethodName().charAt(0))) {
                routine = e.getMethodName(); // keep going: the outermost one is the routine called
            } else if (c.startsWith("dev.offkern.tests.fuzz.") && routine != null) {
                break;
            }
        }
        return routine;
    }

    private static boolean thrownByOffkern(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return st.length > 0 && st[0].getClassName().startsWith("dev.offkern.") && !st[0].getClassName().startsWith("dev.offkern.tests.");
    }

    private static String topFrame(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return st.length == 0 ? "?" : st[0].getClassName() + "." + st[0].getMethodName();
    }
}
