/** Run-time library: RTL_BITMAP, RTL_RUN_ONCE (later: security helpers). */
package dev.offkern.runtime.rtl;
