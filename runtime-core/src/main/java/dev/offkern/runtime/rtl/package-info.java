/** Run-time library: RTL_BITMAP, RTL_RUN_ONCE (the security routines are in dev.offkern.runtime.se). */
package dev.offkern.runtime.rtl;
