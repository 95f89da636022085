#include <stddef.h>

/// Bytes in use on the C heap (glibc mallinfo2().uordblks): where libgit2 allocates.
size_t sluice_heap_in_use(void);
