#include <malloc.h>
#include "heap_probe.h"

size_t sluice_heap_in_use(void) { return mallinfo2().uordblks; }
