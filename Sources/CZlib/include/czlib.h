#ifndef CZLIB_H
#define CZLIB_H

#include <zlib.h>

/// Initialises `strm` for raw DEFLATE (no zlib/gzip wrapper) as permessage-deflate
/// requires. `window_bits` is 9...15 (callers map RFC 7692's 8 to 9 first, see
/// DeflateCodec). Returns a zlib status code (Z_OK on success).
int czlib_deflate_init_raw(z_stream *strm, int level, int window_bits, int mem_level);

/// Initialises `strm` for raw INFLATE with a window of 2^window_bits (8...15).
/// Returns a zlib status code (Z_OK on success).
int czlib_inflate_init_raw(z_stream *strm, int window_bits);

#endif
