// Declarations only (include/CLibFuzzer.h); the definitions are libFuzzer's, linked by -sanitize=fuzzer.
#include "CLibFuzzer.h"
