"""Parsing Python source from several threads at once.

CPython 3.11 (and early 3.12) keeps one recursion-depth counter for turning a parse tree
into ``ast`` objects per interpreter, not per thread, so two threads calling ``ast.parse``
at the same moment can fail with ``SystemError: AST constructor recursion depth mismatch``
(CPython gh-106905). polca parses in threads (rewards scored concurrently, proposers asked
concurrently), so every library parse goes through :func:`parse_python`, which holds one
process-wide lock while it parses. Parsing is short; the lock costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_LOCK = threading.Lock()


def parse_python(source: str | bytes, filename: str = "<unknown>", mode: str = "exec", **kwargs: Any) -> Any:
    """``ast.parse(source, filename, mode, **kwargs)``, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename, mode, **kwargs)
