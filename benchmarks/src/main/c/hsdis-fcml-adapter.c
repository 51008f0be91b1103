/*
 * A HotSpot disassembler plugin (hsdis-amd64.so) for JDK 25 over Debian's libhsdis0-fcml.
 *
 * JDK 25 looks up decode_instructions_virtual(); the FCML build of hsdis that Debian ships exports only
 * the older decode_instructions(start, end, ...), which decodes the code in place. HotSpot calls the new
 * entry point with the code's buffer (the live nmethod, so the buffer's address is the code's address);
 * this forwards that buffer to the old entry point. benchmarks/profile.sh builds it (DISASM=1) with
 *   gcc -shared -fPIC -O2 -o hsdis-amd64.so hsdis-fcml-adapter.c -ldl
 * and puts it on LD_LIBRARY_PATH, so -XX:+PrintAssembly / -XX:CompileCommand=print print instructions.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

typedef void *(*decode_instructions_fn)(void *start, void *end, void *event_callback, void *event_stream,
                                         void *printf_callback, void *printf_stream, const char *options);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  void *event_callback, void *event_stream, void *printf_callback,
                                  void *printf_stream, const char *options, int newline) {
    static decode_instructions_fn decode;
    (void) start_va;
    (void) end_va;
    (void) newline;
    if (decode == NULL) {
        void *lib = dlopen("libhsdis.so.0", RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            return NULL; /* HotSpot then prints the code as hex, as without a plugin */
        }
        decode = (decode_instructions_fn) dlsym(lib, "decode_instructions");
        if (decode == NULL) {
            return NULL;
        }
    }
    return decode(buffer, buffer + length, event_callback, event_stream, printf_callback, printf_stream, options);
}
