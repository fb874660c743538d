"""cffi (API mode) build of libcore: the header is the cdef, src/*.c are compiled in."""
import pathlib

from cffi import FFI

HERE = pathlib.Path(__file__).resolve().parent
HEADER = HERE / "include" / "oc_core.h"
SOURCES = sorted(str(p.relative_to(HERE.parent)) for p in (HERE / "src").glob("*.c"))

ffibuilder = FFI()
ffibuilder.cdef(HEADER.read_text())
ffibuilder.set_source(
    "oc_core._oc_core",
    '#include <stddef.h>\n#include <stdint.h>\n#include "oc_core.h"',
    sources=SOURCES,
    include_dirs=[str(HERE / "include")],
    extra_compile_args=["-O3", "-std=gnu11", "-Wall"],
    libraries=["xxhash"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
