"""polca: make code and prompts better with a language model in the loop."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("polca")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "optimize", "optimize_anything"]


def __getattr__(name: str) -> Any:
    # ``polca.optimize`` is imported on first use: the engine pulls numpy and more,
    # which ``polca --version`` and the CLI's startup should not pay for.
    if name in ("optimize", "optimize_anything"):
        from polca.optimizer import api

        return getattr(api, name)
    raise AttributeError(f"module 'polca' has no attribute {name!r}")
