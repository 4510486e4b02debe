"""A word reader distilled from EmoBank: all-MiniLM-L6-v2 fine-tuned to read single words.

Run: python -m experiments.word_finetune      (trains, or reads the cache; prints dev figures)

Used only when the word table is built (training/train_mood.py): nothing of it ships but the
table's two numbers per word. The encoder is fine-tuned end to end with a linear head on
EmoBank's train split, in the regime the table needs: a sentence's reading is the mean of its
words' readings, each word encoded on its own ("bag of words"), so the model learns what one
word alone says and is then asked exactly that. EmoBank's dev split picks the checkpoint.
Deterministic: fixed seeds, a fixed data order, torch's deterministic algorithms, two threads;
the readings are cached (CACHE) under a key of the settings and the words.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from training import data as mood_data
from training.data import CACHE, Rated, content_words

SEED = 13
# Two cores are shared by the team: training and reading never use more threads than this.
THREADS = 2
# Sentences per step; their distinct words are encoded together.
BATCH_SENTENCES = 64
EPOCHS = 2
ENCODER_LR = 5e-5
HEAD_LR = 1e-3
WARMUP_SHARE = 0.1
# Dev Pearson r is measured this often (steps) to keep the best checkpoint.
EVAL_EVERY = 25
# Words per forward pass when reading (no gradient).
READ_BATCH = 512
# Words are short; a longer token sequence is a compound the tokenizer split oddly.
MAX_WORD_TOKENS = 12
MIN_WORD_CHARS = 3


@dataclass(frozen=True)
class Settings:
    """What the cache key covers."""

    seed: int = SEED
    epochs: int = EPOCHS
    batch: int = BATCH_SENTENCES
    encoder_lr: float = ENCODER_LR
    head_lr: float = HEAD_LR
    mode: str = "bag"  # "bag": mean of words' readings; "sentence": the sentence encoded whole


def _table_words(text: str) -> list[str]:
    """The words of a text the table would read (function words and short words left out)."""
    from recsys.word_scan import FUNCTION_WORDS

    seen: dict[str, None] = {}
    for w in content_words(text):
        if len(w) >= MIN_WORD_CHARS and w.isalpha() and w not in FUNCTION_WORDS:
            seen[w] = None
    return list(seen)


class _Reader:
    """Encoder, mean pooling and a linear head to (valence, arousal) z-scores."""

    def __init__(self, seed: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from recsys.embedder import default_model_path

        torch.manual_seed(seed)
        path = default_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, texts: list[str]):  # type: ignore[no-untyped-def]
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_WORD_TOKENS + 52,
            return_tensors="pt",
        )  # fmt: skip
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return self.head(pooled)

    def bag(self, sentences: list[list[str]]):  # type: ignore[no-untyped-def]
        """Each sentence's reading as the mean of its words' readings."""
        import torch

        words = sorted({w for s in sentences for w in s})
        index = {w: i for i, w in enumerate(words)}
        per_word = self.forward(words)
        rows = [per_word[[index[w] for w in s]].mean(0) for s in sentences]
        return torch.stack(rows)


def _setup() -> None:
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def _usable(rated: Rated, mode: str) -> tuple[list, np.ndarray]:  # type: ignore[type-arg]
    """Inputs (word lists or texts) and (valence, arousal) targets of the texts with words."""
    if mode == "sentence":
        return list(rated.texts), np.stack([rated.valence, rated.arousal], axis=1)
    keep = [(_table_words(t), i) for i, t in enumerate(rated.texts)]
    keep = [(w, i) for w, i in keep if w]
    idx = [i for _, i in keep]
    return [w for w, _ in keep], np.stack([rated.valence[idx], rated.arousal[idx]], axis=1)


def train(settings: Settings, log=print) -> _Reader:  # type: ignore[no-untyped-def]
    """The fine-tuned reader, the checkpoint best on EmoBank dev (sum of the two r)."""
    import copy

    import torch

    _setup()
    reader = _Reader(settings.seed)
    inputs, y = _usable(mood_data.emobank("train"), settings.mode)
    dev_inputs, dev_y = _usable(mood_data.emobank("dev"), settings.mode)
    mean, std = y.mean(axis=0), y.std(axis=0)
    target = torch.tensor((y - mean) / std, dtype=torch.float32)
    run = reader.bag if settings.mode == "bag" else reader.forward
    steps_per_epoch = -(-len(inputs) // settings.batch)
    total = steps_per_epoch * settings.epochs
    optimiser = torch.optim.AdamW(
        [
            {"params": reader.encoder.parameters(), "lr": settings.encoder_lr},
            {"params": reader.head.parameters(), "lr": settings.head_lr},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, int(WARMUP_SHARE * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    order_rng = np.random.RandomState(settings.seed)
    best, best_state, step, started = -np.inf, None, 0, time.monotonic()

    def evaluate() -> float:
        reader.encoder.eval()
        with torch.no_grad():
            pred = np.concatenate(
                [run(dev_inputs[i : i + 256]).numpy() for i in range(0, len(dev_inputs), 256)]
            )
        reader.encoder.train()
        return _pearson(pred[:, 0], dev_y[:, 0]) + _pearson(pred[:, 1], dev_y[:, 1])

    reader.encoder.train()
    for epoch in range(settings.epochs):
        order = order_rng.permutation(len(inputs))
        for start in range(0, len(order), settings.batch):
            chosen = order[start : start + settings.batch]
            pred = run([inputs[i] for i in chosen])
            loss = torch.nn.functional.mse_loss(pred, target[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % EVAL_EVERY == 0 or step == total:
                score = evaluate()
                if score > best:
                    best = score
                    best_state = copy.deepcopy(
                        (reader.encoder.state_dict(), reader.head.state_dict())
                    )
                log(
                    f"  epoch {epoch} step {step}/{total} loss {loss.item():.3f} dev r sum "
                    f"{score:.3f} (best {best:.3f}) {time.monotonic() - started:.0f} s",
                )
    assert best_state is not None
    reader.encoder.load_state_dict(best_state[0])
    reader.head.load_state_dict(best_state[1])
    reader.encoder.eval()
    return reader


def read_words(reader: _Reader, words: list[str]) -> np.ndarray:
    """(valence, arousal) of each word alone, as z-scores of EmoBank train's ratings."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(words), READ_BATCH):
            out.append(reader.forward(words[i : i + READ_BATCH]).numpy())
    return np.concatenate(out).astype(np.float32)


def _key(settings: Settings, words: list[str]) -> str:
    text = repr(settings) + "\n" + "\n".join(words)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def trained(settings: Settings = Settings(), log=print) -> _Reader:  # type: ignore[no-untyped-def]
    """The fine-tuned reader, trained once and its weights cached under CACHE."""
    import torch

    path = CACHE / f"mood-finetuned-{settings.mode}-{_key(settings, [])}.pt"
    if path.exists():
        _setup()
        reader = _Reader(settings.seed)
        encoder, head = torch.load(path, weights_only=True)
        reader.encoder.load_state_dict(encoder)
        reader.head.load_state_dict(head)
        reader.encoder.eval()
        return reader
    started = time.monotonic()
    reader = train(settings, log)
    log(f"  fine-tuned in {time.monotonic() - started:.0f} s ({THREADS} threads)")
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save((reader.encoder.state_dict(), reader.head.state_dict()), path)
    return reader


def word_readings(words: list[str], settings: Settings = Settings(), log=print) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Each word's fine-tuned reading (words x 2), cached under CACHE."""
    path = CACHE / f"mood-finetuned-{settings.mode}-{_key(settings, words)}.npy"
    if path.exists():
        return np.load(path)
    values = read_words(trained(settings, log), words)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, values)
    return values


def main() -> int:
    """Fine-tune (or read the cache) and print how the word readings rank Warriner words
    (measuring only) and EmoBank test sentences read as the mean of their words."""
    from scipy.stats import spearmanr

    mode = sys.argv[1] if len(sys.argv) > 1 else "bag"
    settings = Settings(mode=mode)
    warriner = mood_data.warriner_words()
    test = mood_data.emobank("test")
    test_words = [_table_words(t) for t in test.texts]
    words = sorted(set(warriner.texts) | {w for ws in test_words for w in ws})
    values = word_readings(words, settings, log=lambda s: print(s, flush=True))
    index = {w: i for i, w in enumerate(words)}
    w = values[[index[x] for x in warriner.texts]]
    print(
        f"{mode}: Warriner words rho {spearmanr(w[:, 0], warriner.valence).statistic:.3f} / "
        f"{spearmanr(w[:, 1], warriner.arousal).statistic:.3f}"
    )
    keep = [i for i, ws in enumerate(test_words) if ws]
    bag = np.stack([values[[index[x] for x in test_words[i]]].mean(0) for i in keep])
    print(
        f"{mode}: EmoBank test r (mean of words) {_pearson(bag[:, 0], test.valence[keep]):.3f}"
        f" / {_pearson(bag[:, 1], test.arousal[keep]):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
