"""Build hook: setuptools metadata lives in pyproject.toml; this only adds the cffi build of libcore."""
from setuptools import setup

setup(cffi_modules=["libcore/build_core.py:ffibuilder"])
