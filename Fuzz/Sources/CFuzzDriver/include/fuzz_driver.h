#ifndef RALLY_FUZZ_DRIVER_H
#define RALLY_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer over `LLVMFuzzerTestOneInput` (defined in Swift with @_cdecl) when the
/// binary was linked with -sanitize=fuzzer; returns -1 when it was not (then the caller
/// replays files instead).
int fuzz_run_driver(int argc, char **argv);

#endif
