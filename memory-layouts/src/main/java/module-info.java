/**
 * Byte-exact layouts of the Windows kernel structures for the x64 and x86 ABIs (Windows 10 22H2),
 * and their renderings (table, JSON, C header). Pure data: no allocation, no threads.
 */
module dev.offkern.layout {
    exports dev.offkern.layout;
    exports dev.offkern.layout.render;
}
