package dev.offkern.nt;

/**
 * {@code KBUGCHECK_CALLBACK_REASON} (wdm.h): why a reason callback is called, which selects the
 * type of its ReasonSpecificData.
 */
public final class KBUGCHECK_CALLBACK_REASON {
    /** Reserved. */
    public static final int KbCallbackInvalid = 0;
    /** Reserved. */
    public static final int KbCallbackReserved1 = 1;
    /** KBUGCHECK_SECONDARY_DUMP_DATA: supply data for the dump's secondary section. */
    public static final int KbCallbackSecondaryDumpData = 2;
    /** KBUGCHECK_DUMP_IO: see every write of the dump. */
    public static final int KbCallbackDumpIo = 3;
    /** KBUGCHECK_ADD_PAGES: add memory pages to the dump. */
    public static final int KbCallbackAddPages = 4;
    /** KBUGCHECK_SECONDARY_DUMP_DATA_EX: multipart secondary data (not run by offkern). */
    public static final int KbCallbackSecondaryMultiPartDumpData = 5;
    /** KBUGCHECK_REMOVE_PAGES: remove memory pages from the dump. */
    public static final int KbCallbackRemovePages = 6;
    /** KBUGCHECK_TRIAGE_DUMP_DATA: triage-dump data (not run by offkern). */
    public static final int KbCallbackTriageDumpData = 7;
    /** Reserved. */
    public static final int KbCallbackReserved2 = 8;

    private KBUGCHECK_CALLBACK_REASON() {
    }

    /** The reason's name. */
    public static String name(int reason) {
        return switch (reason) {
            case KbCallbackInvalid -> "KbCallbackInvalid";
            case KbCallbackReserved1 -> "KbCallbackReserved1";
            case KbCallbackSecondaryDumpData -> "KbCallbackSecondaryDumpData";
            case KbCallbackDumpIo -> "KbCallbackDumpIo";
            case KbCallbackAddPages -> "KbCallbackAddPages";
            case KbCallbackSecondaryMultiPartDumpData -> "KbCallbackSecondaryMultiPartDumpData";
            case KbCallbackRemovePages -> "KbCallbackRemovePages";
            case KbCallbackTriageDumpData -> "KbCallbackTriageDumpData";
            case KbCallbackReserved2 -> "KbCallbackReserved2";
            default -> "reason " + reason;
        };
    }
}
