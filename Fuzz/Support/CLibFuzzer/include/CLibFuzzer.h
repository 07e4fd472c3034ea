#ifndef SWITCHYARD_CLIBFUZZER_H
#define SWITCHYARD_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt's FuzzerInterface.h): runs the fuzzing loop with `UserCb` as
/// `LLVMFuzzerTestOneInput`. The fuzz targets call it from their own `main` because SwiftPM
/// renames an executable's Swift entry point and links `main` to it (see Fuzz/README.md).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
