package dev.offkern.nt;

/** ACCESS_MASK bits (winnt.h / wdm.h) the object manager grants and checks, with their Windows values. */
public final class AccessMask {
    public static final int DELETE = 0x00010000;
    public static final int READ_CONTROL = 0x00020000;
    public static final int WRITE_DAC = 0x00040000;
    public static final int WRITE_OWNER = 0x00080000;
    public static final int SYNCHRONIZE = 0x00100000;
    public static final int STANDARD_RIGHTS_REQUIRED = 0x000F0000;
    public static final int STANDARD_RIGHTS_READ = READ_CONTROL;
    public static final int STANDARD_RIGHTS_WRITE = READ_CONTROL;
    public static final int STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
    public static final int STANDARD_RIGHTS_ALL = 0x001F0000;
    public static final int ACCESS_SYSTEM_SECURITY = 0x01000000;
    public static final int MAXIMUM_ALLOWED = 0x02000000;
    public static final int GENERIC_ALL = 0x10000000;
    public static final int GENERIC_EXECUTE = 0x20000000;
    public static final int GENERIC_WRITE = 0x40000000;
    public static final int GENERIC_READ = 0x80000000;

    public static final int EVENT_QUERY_STATE = 0x0001;
    public static final int EVENT_MODIFY_STATE = 0x0002;
    public static final int EVENT_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;
    public static final int SEMAPHORE_QUERY_STATE = 0x0001;
    public static final int SEMAPHORE_MODIFY_STATE = 0x0002;
    public static final int SEMAPHORE_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;
    public static final int TIMER_QUERY_STATE = 0x0001;
    public static final int TIMER_MODIFY_STATE = 0x0002;
    public static final int TIMER_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3;
    public static final int PROCESS_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF;
    /** PROCESS_CREATE_THREAD: create a thread in the process (PsCreateSystemThread's ProcessHandle). */
    public static final int PROCESS_CREATE_THREAD = 0x0002;
    /** PROCESS_TERMINATE: end the process (ZwTerminateProcess). */
    public static final int PROCESS_TERMINATE = 0x0001;
    /** PROCESS_DUP_HANDLE: duplicate handles from or into the process (ZwDuplicateObject's process handles). */
    public static final int PROCESS_DUP_HANDLE = 0x0040;
    public static final int THREAD_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF;
    /** FILE_READ_DATA: read the file's data (ZwReadFile). */
    public static final int FILE_READ_DATA = 0x0001;
    /** FILE_WRITE_DATA: write the file's data (ZwWriteFile). */
    public static final int FILE_WRITE_DATA = 0x0002;
    /** FILE_APPEND_DATA: append to the file (ZwWriteFile at the end of file). */
    public static final int FILE_APPEND_DATA = 0x0004;
    public static final int FILE_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF;
    public static final int TOKEN_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | 0x1FF;
    public static final int OBJECT_TYPE_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | 0x1;
    public static final int DIRECTORY_ALL_ACCESS = STANDARD_RIGHTS_REQUIRED | 0xF;

    private AccessMask() {
    }
}
