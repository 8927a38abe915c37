"""LoRA adapters: tell one from a full model, and merge one into its base.

``polca train sft|rl --lora`` saves a peft adapter (``adapter_config.json`` and the
adapter's weights, a few MB) instead of a full model. vLLM serves it on top of its base
(``trainer.serve``); :func:`merge_adapter` folds it into the base's weights
(peft's ``merge_and_unload``) for tools that want one plain model folder.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ADAPTER_CONFIG = "adapter_config.json"
MERGE_RECORD = "polca_merge.json"


def is_adapter(folder: str | Path) -> bool:
    """True for a folder holding a peft adapter rather than a full model."""
    return (Path(folder) / ADAPTER_CONFIG).is_file()


def adapter_config(folder: str | Path) -> dict[str, Any]:
    """The adapter's ``adapter_config.json``; ValueError for a folder without one."""
    path = Path(folder) / ADAPTER_CONFIG
    if not path.is_file():
        raise ValueError(f"{folder} holds no {ADAPTER_CONFIG}; it is not a LoRA adapter (train with --lora).")
    return json.loads(path.read_text())


def adapter_base(folder: str | Path) -> str | None:
    """The base model the adapter was trained on, as recorded in its config."""
    return adapter_config(folder).get("base_model_name_or_path") or None


def merge_adapter(adapter: str | Path, out: str | Path, base: str | None = None) -> Path:
    """Merge ``adapter`` into ``base`` (default: the base its config records) and save the
    merged model and a tokenizer (the adapter folder's, else the base's) to ``out``."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = base or adapter_base(adapter)
    if base is None:
        raise ValueError(f"{adapter}'s config names no base model; pass it with --base.")
    target = Path(out)
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"--out {target} is not empty; pick a new folder (nothing is overwritten).")
    model = AutoModelForCausalLM.from_pretrained(base)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    target.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(target)
    tokenizer_source = adapter if (Path(adapter) / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(target)
    (target / MERGE_RECORD).write_text(json.dumps({"adapter": str(adapter), "base": base}, indent=2))
    log.info("merged adapter %s into %s -> %s", adapter, base, target)
    return target
