/** The executive: SLIST, lookaside lists, rundown protection (later: fast mutex, EX_TIMER, work queues). */
package dev.offkern.runtime.ex;
