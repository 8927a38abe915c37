"""polca: make code and prompts better with a language model in the loop."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("polca")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
