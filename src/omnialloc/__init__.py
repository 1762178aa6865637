"""omnialloc: an order management system whose heart is an optimization engine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnialloc")  # set from the git tag at build time (setuptools-scm)
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0.0.0+unknown"
