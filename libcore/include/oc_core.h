/* oc_core.h: the whole C API of libcore. This file is fed verbatim to cffi's cdef,
 * so it holds only declarations cffi understands (no macros with bodies, no includes). */
int oc_core_abi_version(void);
