#include "fuzz_driver.h"

// Weak: a plain build links without libFuzzer, and the symbol is then null.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv,
                               int (*callback)(const uint8_t *, size_t)) __attribute__((weak));

int fuzz_run_driver(int argc, char **argv, int (*callback)(const uint8_t *, size_t)) {
    if (!LLVMFuzzerRunDriver) return -1;
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
