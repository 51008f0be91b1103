package dev.offkern.nt;

import java.lang.foreign.MemorySegment;

/**
 * {@code BOOLEAN InterruptMessageService(PKINTERRUPT Interrupt, PVOID ServiceContext, ULONG
 * MessageId)}: a message-signalled interrupt's service routine, called as {@link KSERVICE_ROUTINE}
 * with the message's index among the device's messages.
 */
@FunctionalInterface
public interface KMESSAGE_SERVICE_ROUTINE {
    boolean call(MemorySegment Interrupt, MemorySegment ServiceContext, int MessageId);
}
