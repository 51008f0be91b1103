package dev.offkern.runtime.se;

/**
 * An SDDL string or a descriptor that SDDL cannot express: the Win32 error code the advapi32 routine
 * sets (ERROR_INVALID_PARAMETER, ERROR_INVALID_ACL, ERROR_INVALID_SID, ...) and what was wrong. Thrown
 * inside the SDDL parser and formatter only; the routines turn it into FALSE and the thread's last
 * error.
 */
final class SddlException extends Exception {

    private final int win32Error;

    SddlException(int win32Error, String message) {
        super(message, null, false, false);
        this.win32Error = win32Error;
    }

    int win32Error() {
        return win32Error;
    }
}
