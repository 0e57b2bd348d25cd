"""Train the replaced-word tagger (unspin.discovery.tagger) on the DEV split; write its delta.

Training data: dev news and dev science abstracts spun by the spinners of
tools/folds.py (only `--folds`; for a model used against fold F, the folds sharing no
source with F), each word labelled 1 where it lies in a spinner edit, plus clean dev
news and science (all 0). Sentences only; the PPS pairs are never used, so the held-out
PPS evaluation stays unseen. The base encoder is frozen; low-rank (LoRA) factors on
every dense layer, the layer norms, biases, a case-pattern embedding and the output layer
are trained with AdamW. Needs torch (`pip install torch==2.13.0`) and the base package.

    python tools/train_tagger.py --against glove --out build/tagger-glove.npz  # a fold's model
    python tools/train_tagger.py --folds moby mythes wordnet glove phrase --out build/tagger.npz
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import datasets
import numpy as np
import torch
from folds import FOLDS
from spinner import Spun
from torch import nn
from torch.nn import functional as F

from unspin.core.tokens import sentences
from unspin.discovery import tagger as tg

RANK = 16
"""LoRA rank: 16 adds about 0.7M trainable weights (1.3 MB at float16) to the 22M frozen."""
ALPHA = 32.0
DENSE = ("attention.self.query", "attention.self.key", "attention.self.value",
         "attention.output.dense", "intermediate.dense", "output.dense")

Example = tuple[list[int], list[int], list[int], list[float]]
"""(piece ids, case classes, head piece positions, word labels)."""


class LoRALinear(nn.Module):
    """A frozen dense layer plus a trainable low-rank update `b @ a`."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.bias = nn.Parameter(bias.clone())
        self.lora_a = nn.Parameter(torch.randn(RANK, weight.shape[1]) / math.sqrt(weight.shape[1]))
        self.lora_b = nn.Parameter(torch.zeros(weight.shape[0], RANK))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias) + (x @ self.lora_a.T) @ self.lora_b.T * (
            ALPHA / RANK)


class Model(nn.Module):
    """The tagger network, the same computation as `unspin.discovery.tagger.Tagger`."""

    def __init__(self, base: dict[str, np.ndarray], dropout: float = 0.1) -> None:
        super().__init__()
        t = {k: torch.tensor(np.array(v)) for k, v in base.items()}
        self.word = nn.Parameter(t["embeddings.word_embeddings.weight"], requires_grad=False)
        self.position = nn.Parameter(t["embeddings.position_embeddings.weight"],
                                     requires_grad=False)
        self.type0 = nn.Parameter(t["embeddings.token_type_embeddings.weight"][0],
                                  requires_grad=False)
        self.case = nn.Embedding(tg.CASES, tg.HIDDEN)
        nn.init.zeros_(self.case.weight)
        self.ln = nn.LayerNorm(tg.HIDDEN, eps=1e-12)
        self.ln.weight.data = t["embeddings.LayerNorm.weight"].clone()
        self.ln.bias.data = t["embeddings.LayerNorm.bias"].clone()
        self.dense = nn.ModuleDict()
        self.norms = nn.ModuleDict()
        for i in range(tg.LAYERS):
            for name in DENSE:
                key = f"encoder.layer.{i}.{name}"
                self.dense[key.replace(".", "__")] = LoRALinear(t[key + ".weight"],
                                                                t[key + ".bias"])
            for name in ("attention.output.LayerNorm", "output.LayerNorm"):
                key = f"encoder.layer.{i}.{name}"
                norm = nn.LayerNorm(tg.HIDDEN, eps=1e-12)
                norm.weight.data = t[key + ".weight"].clone()
                norm.bias.data = t[key + ".bias"].clone()
                self.norms[key.replace(".", "__")] = norm
        self.head = nn.Linear(tg.HIDDEN, 1)
        nn.init.zeros_(self.head.weight)
        self.drop = nn.Dropout(dropout)

    def _d(self, i: int, name: str) -> nn.Module:
        return self.dense[f"encoder.layer.{i}.{name}".replace(".", "__")]

    def _n(self, i: int, name: str) -> nn.Module:
        return self.norms[f"encoder.layer.{i}.{name}".replace(".", "__")]

    def forward(self, ids: torch.Tensor, cases: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.type0 + self.case(cases)
        x = self.drop(self.ln(x))
        bias = torch.where(mask, 0.0, -1e9)[:, None, None, :]
        size = tg.HIDDEN // tg.HEADS
        for i in range(tg.LAYERS):
            def heads(y: torch.Tensor) -> torch.Tensor:
                return y.view(batch, length, tg.HEADS, size).transpose(1, 2)
            q = heads(self._d(i, "attention.self.query")(x))
            k = heads(self._d(i, "attention.self.key")(x))
            v = heads(self._d(i, "attention.self.value")(x))
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + bias, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(batch, length, tg.HIDDEN)
            x = self._n(i, "attention.output.LayerNorm")(
                x + self.drop(self._d(i, "attention.output.dense")(ctx)))
            h = F.gelu(self._d(i, "intermediate.dense")(x), approximate="tanh")
            x = self._n(i, "output.LayerNorm")(x + self.drop(self._d(i, "output.dense")(h)))
        return self.head(x)[..., 0]

    def delta(self) -> dict[str, np.ndarray]:
        """The trained tensors under the names `tagger.merged_weights` reads."""
        out: dict[str, np.ndarray] = {}

        def put(name: str, value: torch.Tensor) -> None:
            out[name] = value.detach().numpy().astype(np.float16)

        for key, module in self.dense.items():
            name = key.replace("__", ".")
            assert isinstance(module, LoRALinear)
            put(name + ".weight.lora_a", module.lora_a)
            put(name + ".weight.lora_b", module.lora_b * (ALPHA / RANK))
            put(name + ".bias", module.bias)
        for key, module in self.norms.items():
            assert isinstance(module, nn.LayerNorm)
            put(key.replace("__", ".") + ".weight", module.weight)
            put(key.replace("__", ".") + ".bias", module.bias)
        put("embeddings.LayerNorm.weight", self.ln.weight)
        put("embeddings.LayerNorm.bias", self.ln.bias)
        put("case_embeddings.weight", self.case.weight)
        put("head.weight", self.head.weight)
        put("head.bias", self.head.bias)
        return out


def examples(docs: Sequence[Spun], pieces: tg.WordPiece) -> list[Example]:
    """One example per sentence (its first window), words labelled by the gold edits."""
    out: list[Example] = []
    for doc in docs:
        for sentence in sentences(doc.text):
            enc = tg.encode_sentence(sentence, doc.text, pieces)
            limit = tg.MAX_PIECES - 2
            keep = [(h, t) for h, t in zip(enc.heads, sentence, strict=True) if 0 <= h < limit]
            if not keep:
                continue
            labels = [float(doc.edited(t.offset, t.end)) for _, t in keep]
            out.append((enc.ids[:limit], enc.cases[:limit], [h for h, _ in keep], labels))
    return out


def batches(
    data: Sequence[Example], size: int, rng: random.Random, cls: int, sep: int
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Padded batches of examples of similar length, in random order."""
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    for group in groups:
        length = max(len(data[i][0]) for i in group) + 2
        ids = torch.zeros(len(group), length, dtype=torch.long)
        cases = torch.zeros(len(group), length, dtype=torch.long)
        mask = torch.zeros(len(group), length, dtype=torch.bool)
        rows: list[int] = []
        cols: list[int] = []
        labels: list[float] = []
        for r, i in enumerate(group):
            piece_ids, case_ids, heads, ys = data[i]
            ids[r, : len(piece_ids) + 2] = torch.tensor([cls, *piece_ids, sep])
            cases[r, 1 : len(case_ids) + 1] = torch.tensor(case_ids)
            mask[r, : len(piece_ids) + 2] = True
            rows += [r] * len(heads)
            cols += [h + 1 for h in heads]
            labels += ys
        yield ids, cases, mask, torch.tensor(rows), torch.tensor(cols), torch.tensor(labels)


def training_docs(data: Path, fold_names: Sequence[str], n: int, seed: int) -> list[Spun]:
    """Dev documents: `n` spun per fold and domain, and `n` clean per domain."""
    docs: list[Spun] = []
    for k, fold in enumerate(f for f in FOLDS if f.name in fold_names):
        for domain in ("news", "science"):
            docs += datasets.spun_news(data, "dev", n, seed + k, *fold.spin_args(), domain=domain)
    docs += [Spun(t, []) for _, t in datasets.clean_docs(data, "dev", n, seed)]
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=datasets.DEFAULT_DATA)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--folds", nargs="+", choices=[f.name for f in FOLDS],
                       help="train on these spinners")
    group.add_argument("--against", choices=[f.name for f in FOLDS],
                       help="train for this fold: on the spinners sharing no source with it")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=300, help="dev documents per fold and domain")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    names = (args.folds if args.folds else
             [f.name for f in next(f for f in FOLDS if f.name == args.against).trainers()])
    base = tg.base_dir()
    pieces = tg.WordPiece((base / "vocab.txt").read_text("utf-8").splitlines())
    data = examples(training_docs(args.data, names, args.n, args.seed), pieces)
    positives = sum(sum(e[3]) for e in data)
    words = sum(len(e[3]) for e in data)
    print(f"spinners {', '.join(names)}: {len(data)} sentences, {words} words, "
          f"{positives / words:.3f} spun", file=sys.stderr)
    model = Model(tg.read_safetensors(base / "model.safetensors"))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.steps,
                                                   pct_start=0.06)
    rng = random.Random(args.seed)
    step, started, running = 0, time.monotonic(), 0.0
    while step < args.steps:
        for ids, cases, mask, rows, cols, labels in batches(
                data, args.batch, rng, pieces.cls, pieces.sep):
            logits = model(ids, cases, mask)[rows, cols]
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
            step += 1
            if step % 25 == 0:
                print(f"step {step} loss {running:.4f} {time.monotonic() - started:.0f}s",
                      file=sys.stderr)
            if step == args.steps:
                break
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **model.eval().delta())
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
