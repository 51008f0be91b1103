/**
 * Byte-exact layouts of the Windows kernel structures for the x64 and x86 ABIs (Windows 10 22H2),
 * and their renderings (table, JSON, C header). Pure data: no allocation, no threads.
 */
module dev.offkern.layout {
    exports dev.offkern.layout;
    exports dev.offkern.layout.ex;
    exports dev.offkern.layout.io;
    exports dev.offkern.layout.ke;
    exports dev.offkern.layout.mingw;
    exports dev.offkern.layout.mm;
    exports dev.offkern.layout.ob;
    exports dev.offkern.layout.ps;
    exports dev.offkern.layout.rtl;
    exports dev.offkern.layout.se;
    exports dev.offkern.layout.render;
}
