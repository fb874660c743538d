/* memory.c: allocator tuning for the Python process (see oc_core.h). */
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>

#include "oc_core.h"

int oc_keep_freed_memory(size_t trim_threshold, size_t mmap_threshold)
{
    int ok = mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
    return ok && mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
}
