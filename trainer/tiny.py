"""A tiny randomly initialised causal LM with a local word-level tokenizer.

For tests, smoke runs and the CPU benchmark: nothing is downloaded. ``build_tiny_model``
writes a Llama config, random weights and a ``tokenizers`` WordLevel tokenizer to a
folder that loads back through the ordinary ``from_pretrained(path)`` code path, so every
caller exercises the same loading code a real checkpoint would.

Text is tokenized on whitespace: write ``"1 2 + 3 4 ="``, not ``"12+34="``. Unknown
words map to ``<unk>``; decoding joins tokens with single spaces.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")
DIGIT_VOCAB = tuple("0123456789") + ("+", "-", "*", "=", ">", ",", "sort", "add", "answer:")


@dataclass(frozen=True)
class TinyModelSpec:
    """Shape of the tiny Llama; the defaults give about 330k parameters."""

    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    max_position_embeddings: int = 128
    seed: int = 0


def build_tokenizer(words: Sequence[str] = DIGIT_VOCAB):
    """A ``PreTrainedTokenizerFast`` over ``words`` plus ``<pad> <unk> <s> </s>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(dict.fromkeys([*SPECIAL_TOKENS, *words]))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        padding_side="left",
    )


def build_tiny_model(
    out_dir: str | Path, words: Sequence[str] = DIGIT_VOCAB, spec: TinyModelSpec = TinyModelSpec()
) -> Path:
    """Write a random tiny Llama and its tokenizer to ``out_dir``; return the folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer(words)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_attention_heads,
        max_position_embeddings=spec.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(config)
    out = Path(out_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    log.info("tiny model: %d parameters -> %s", model.num_parameters(), out)
    return out
