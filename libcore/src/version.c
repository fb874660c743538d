#include "oc_core.h"

int oc_core_abi_version(void) { return 1; }
