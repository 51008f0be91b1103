/** The executive: SLIST, lookaside lists, rundown protection, fast mutexes (later: EX_TIMER, work queues). */
package dev.offkern.runtime.ex;
