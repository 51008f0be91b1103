package dev.offkern.nt;

/**
 * Win32 error codes (winerror.h) that the advapi32-style routines (the SDDL conversions) leave in the
 * thread's last error, read with {@code RtlGetLastWin32Error}.
 */
public final class Win32Error {
    public static final int ERROR_SUCCESS = 0;
    public static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    public static final int ERROR_INVALID_PARAMETER = 87;
    public static final int ERROR_NOACCESS = 998;
    public static final int ERROR_UNKNOWN_REVISION = 1305;
    public static final int ERROR_NONE_MAPPED = 1332;
    public static final int ERROR_INVALID_ACL = 1336;
    public static final int ERROR_INVALID_SID = 1337;
    public static final int ERROR_INVALID_SECURITY_DESCR = 1338;

    private Win32Error() {
    }
}
