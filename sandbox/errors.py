"""The one exception a sandbox raises for its own sake (never for what a program does)."""

from __future__ import annotations


class SandboxUnavailable(RuntimeError):
    """The chosen backend cannot run anything on this machine (no docker engine, for one).

    The message names what is missing and how to fix it or which backend to use instead.
    """
