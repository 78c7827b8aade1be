#include "czlib.h"

// A negative windowBits selects raw deflate; the macros expand to the *_2_ entry
// points with the library version and struct size, which is why this shim exists.
int czlib_deflate_init_raw(z_stream *strm, int level, int window_bits, int mem_level) {
    return deflateInit2(strm, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY);
}

int czlib_inflate_init_raw(z_stream *strm, int window_bits) {
    return inflateInit2(strm, -window_bits);
}
