package dev.offkern.nt;

/**
 * The Java procedures of an object type an embedder or driver defines ({@code ObCreateObjectType}):
 * each may be null. offkern stores an upcall stub for each in the type's
 * {@code OBJECT_TYPE_INITIALIZER} (OpenProcedure, CloseProcedure, DeleteProcedure, ParseProcedure,
 * SecurityProcedure), so native code reading the type sees real function pointers, and calls the
 * Java procedure directly.
 */
public record ObjectTypeProcedures(OB_OPEN_METHOD OpenProcedure, OB_CLOSE_METHOD CloseProcedure,
                                   OB_DELETE_METHOD DeleteProcedure, OB_PARSE_METHOD ParseProcedure,
                                   OB_SECURITY_METHOD SecurityProcedure) {
    /** No procedures. */
    public static final ObjectTypeProcedures NONE = new ObjectTypeProcedures(null, null, null, null, null);
}
