"""The environment a candidate sees: a short allow-list, never the caller's secrets.

Candidates are untrusted; the caller's environment holds API keys, tokens and proxy
settings. Instead of removing known-bad names (and missing the next one), the sandbox
starts from a small allow-list of harmless variables and then drops anything that still
looks like a secret, including from the variables the caller adds on purpose.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping

logger = logging.getLogger(__name__)

# Copied from the caller's environment when present: locale and terminal only.
_ALLOWED = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")

_SECRET_NAME = re.compile(
    r"(_TOKEN|_KEY|_SECRET|_PASSWORD|_PASSWD|_CREDENTIALS?)$|^(AWS|AZURE|GOOGLE|GCP|OPENAI|ANTHROPIC"
    r"|HF|HUGGING_?FACE|GITHUB|GH|GITLAB|LITELLM|COHERE|MISTRAL|GROQ|TOGETHER|DEEPSEEK|GEMINI)_",
    re.IGNORECASE,
)
_PROXY_NAME = re.compile(r"^(HTTPS?|FTP|ALL|NO|SOCKS)_PROXY$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True for names that carry credentials or reroute traffic (``*_TOKEN``, ``HTTP_PROXY``...)."""
    return bool(_SECRET_NAME.search(name) or _PROXY_NAME.match(name))


def scrubbed_env(extra: Mapping[str, str], home_dir: str, tmp_dir: str) -> dict[str, str]:
    """The environment for one run.

    ``PATH`` is the caller's interpreter directory (so ``python`` is the same Python)
    and the system directories, ``HOME`` and ``TMPDIR`` point into the run's own
    working directory, Python writes no bytecode and buffers nothing. ``extra`` (the
    run's ``env``) is added on top, except names that look like secrets: those are
    dropped with a log line, so a caller who forwards ``os.environ`` leaks nothing.
    """
    env = {name: os.environ[name] for name in _ALLOWED if name in os.environ}
    env.update(
        PATH=f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        HOME=home_dir,
        TMPDIR=tmp_dir,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONNOUSERSITE="1",
    )
    dropped = []
    for name, value in extra.items():
        if is_secret_name(name):
            dropped.append(name)
            continue
        env[name] = value
    if dropped:
        logger.info("sandbox: not passing secret-looking variables to the run: %s", ", ".join(sorted(dropped)))
    return env
