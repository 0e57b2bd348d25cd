"""Spinner profiles: a spinner's dictionary learned from its traced copies, as a detector.

A commercial spinner works from a fixed dictionary, so what it did in the copies that
`trace` matched with their sources it does in every other text it touched. A profile
holds, per phrase the spinner was seen to write (`Entry.observed`), the originals it
wrote it for and how often, how often the same phrase stood unchanged in the traced
copies (`kept`), and how often it occurs in the clean reference corpus (`reference`).
`unspin.pipeline.learn` builds one; `scan` finds its phrases in a text and `judge`
weighs each occurrence with a small logistic model fitted on the traced copies
themselves (their alignment labels every occurrence swapped or kept) and on clean
reference documents, so its confidence is calibrated for that spinner.

The file is JSON Lines: a header object (format, version, name, creation time, the
counts behind the rates, the fitted models), then one object per observed phrase,
sorted, so that two profiles diff line by line and a person can review, edit or delete
entries. `Profile.merge` adds two profiles' counts (the models are refitted by
`unspin learn`, not merged).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from unspin.core.errors import InputError
from unspin.core.lm import NGramLM
from unspin.core.tokens import STOPWORDS, Token

FORMAT = "unspin-profile"
VERSION = 1
MAX_WORDS = 4
"""Longest phrase (in words) on either side of a learned swap: longer differences are
rewritten clauses, not dictionary swaps."""
MAX_DOCUMENTS = 10
"""Traced documents named per entry as evidence (the counts cover all of them)."""
SMOOTHING = 0.5
"""Pseudo-count added to every count before a ratio is taken: a phrase seen once is
not certain, and one never seen in the reference corpus is rare, not impossible."""
LM_WINDOW = 2
"""Words of context either side of a phrase that the 3-gram LM reads when comparing
the observed wording with an original."""
ECHO = 1.0
"""log10 bonus of an original the document writes elsewhere, when choosing which original
to propose (not when judging whether the phrase was swapped)."""
FEATURES = ("channel_log_odds", "likelihood_ratio", "lm_gain", "document_evidence")
"""The span model's inputs (`Occurrence.features`), in order."""
DOCUMENT_FEATURES = ("swap_mass", "rarity")
"""The document model's inputs (`whole_evidence`), in order."""


@dataclass(slots=True)
class Entry:
    """One phrase the spinner wrote, and what the traced copies say about it."""

    observed: str
    """The phrase as written, lower-case words joined by single spaces."""
    originals: dict[str, int]
    """Original wording -> times the spinner wrote `observed` for it."""
    original_totals: dict[str, int] = field(default_factory=dict)
    """Original wording -> times it stood in the traced copies' sources (swapped or not):
    with `originals`, how often the spinner turns that original into `observed`."""
    kept: int = 0
    """Times `observed` stood in a traced copy where its source has it too."""
    source_count: int = 0
    """Times `observed` stood in the traced copies' sources (with `kept`: how often the
    spinner leaves it alone)."""
    reference: int = 0
    """Occurrences of `observed` in the clean reference corpus (`Profile.reference_words`)."""
    documents: tuple[str, ...] = ()
    """Up to `MAX_DOCUMENTS` traced documents that show the swap."""
    forms: tuple[str, ...] = ()
    """Surface forms seen (case kept), for the reviewer."""

    @property
    def swapped(self) -> int:
        """Times the spinner wrote this phrase for some original."""
        return sum(self.originals.values())

    @property
    def reliability(self) -> float:
        """Share of the phrase's occurrences in traced copies that were swaps
        (smoothed): how sure one is, without context, that it was swapped in a text of
        this spinner."""
        return (self.swapped + SMOOTHING) / (self.swapped + self.kept + 2 * SMOOTHING)

    def rate(self, original: str) -> float:
        """P(the spinner writes `observed` | `original` stood in the source), smoothed."""
        count = self.originals.get(original, 0)
        return (count + SMOOTHING) / (max(self.original_totals.get(original, 0), count) + 1)

    def to_dict(self) -> dict[str, Any]:
        """The entry as one line of the profile file."""
        order = sorted(self.originals.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"observed": self.observed, "originals": dict(order),
                "original_totals": {k: self.original_totals.get(k, v) for k, v in order},
                "kept": self.kept, "source_count": self.source_count,
                "reference": self.reference, "reliability": round(self.reliability, 4),
                "documents": list(self.documents), "forms": list(self.forms)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """Inverse of `to_dict` (`reliability` is derived, so it is not read back)."""
        def phrases(table: Any) -> dict[str, int]:
            out = {" ".join(str(k).lower().split()): int(v) for k, v in dict(table).items()}
            if any(v < 0 for v in out.values()):
                raise ValueError("counts must be >= 0")
            return out

        originals = phrases(data["originals"])
        if not originals:
            raise ValueError("an entry needs at least one original")
        return cls(" ".join(str(data["observed"]).lower().split()), originals,
                   phrases(data.get("original_totals", {})), int(data.get("kept", 0)),
                   int(data.get("source_count", 0)), int(data.get("reference", 0)),
                   tuple(str(d) for d in data.get("documents", ())),
                   tuple(str(f) for f in data.get("forms", ())))


@dataclass(frozen=True, slots=True)
class Model:
    """A logistic model: P = 1 / (1 + exp(-(bias + weights . x)))."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, xs: Sequence[float]) -> float:
        """The model's probability for inputs `xs`."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, xs, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON."""
        return {"weights": [round(w, 6) for w in self.weights], "bias": round(self.bias, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        """Inverse of `to_dict`."""
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]))


SPAN_PRIOR = Model((1.0, 0.2, 0.3, 2.0), -5.0)
"""The span model of a profile built by hand or merged, before `unspin learn` fits one."""
DOCUMENT_PRIOR = Model((2.0, 0.0), -3.0)
"""The document model used until one is fitted (see `SPAN_PRIOR`)."""


@dataclass(slots=True)
class Profile:
    """A spinner's learned dictionary, its base rates and its fitted models."""

    name: str
    entries: dict[str, Entry] = field(default_factory=dict)
    created: str = ""
    documents_read: int = 0
    documents_traced: int = 0
    spun_words: int = 0
    """Words of the traced copies that aligned with a source (the spun-text rate's base)."""
    reference_words: int = 0
    """Words of the reference corpus counted for `Entry.reference`."""
    span_model: Model = SPAN_PRIOR
    document_model: Model = DOCUMENT_PRIOR
    fit: dict[str, Any] = field(default_factory=dict)
    """How the models were fitted (sample sizes), for the reader; not used."""

    @property
    def longest(self) -> int:
        """Words in the longest observed phrase."""
        return max((e.observed.count(" ") + 1 for e in self.entries.values()), default=0)

    def header(self) -> dict[str, Any]:
        """The first line of the profile file."""
        return {"format": FORMAT, "version": VERSION, "name": self.name,
                "created": self.created, "documents_read": self.documents_read,
                "documents_traced": self.documents_traced, "pairs": self.pairs,
                "entries": len(self.entries), "spun_words": self.spun_words,
                "reference_words": self.reference_words,
                "span_model": {"features": list(FEATURES), **self.span_model.to_dict()},
                "document_model": {"features": list(DOCUMENT_FEATURES),
                                   **self.document_model.to_dict()},
                "fit": self.fit}

    def keep_prior(self) -> float:
        """Share of the phrases the spinner writes that it left alone where the source
        had them (all entries pooled): P(left alone) for a phrase never seen in a source."""
        kept = sum(e.kept for e in self.entries.values())
        total = sum(e.source_count for e in self.entries.values())
        return (kept + 1) / (total + 2)

    @property
    def pairs(self) -> int:
        """Distinct (original, observed) pairs."""
        return sum(len(e.originals) for e in self.entries.values())

    def lines(self) -> Iterator[str]:
        """The profile file, line by line (header first, entries sorted)."""
        yield json.dumps(self.header(), ensure_ascii=False)
        for key in sorted(self.entries):
            yield json.dumps(self.entries[key].to_dict(), ensure_ascii=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile to `path` (a temporary file renamed into place)."""
        target = Path(path)
        temp = target.parent / f".{target.name}.{os.getpid()}.part"
        try:
            temp.write_text("".join(line + "\n" for line in self.lines()), encoding="utf-8")
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Profile:
        """Read a profile file; `InputError` (one line) if it is missing, malformed or of
        a newer format version."""
        where = Path(path)
        try:
            raw = where.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{where}: no such profile") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{where}: cannot read the profile ({error})") from None
        return cls.parse(raw, str(where))

    @classmethod
    def parse(cls, raw: str, where: str = "profile") -> Profile:
        """A profile from the text of its file (see `load`)."""
        lines = [line for line in raw.splitlines() if line.strip()]
        number = 1
        try:
            if not lines:
                raise ValueError("the file is empty")
            head = json.loads(lines[0])
            if not isinstance(head, dict) or head.get("format") != FORMAT:
                raise ValueError("not an unspin profile (no header line)")
            if int(head.get("version", 0)) > VERSION:
                raise InputError(f"{where}: profile format version {head['version']} is "
                                 f"newer than this unspin reads ({VERSION}); upgrade unspin")
            profile = cls(
                str(head.get("name", "")), {}, str(head.get("created", "")),
                int(head.get("documents_read", 0)), int(head.get("documents_traced", 0)),
                int(head.get("spun_words", 0)), int(head.get("reference_words", 0)),
                Model.from_dict(head["span_model"]) if "span_model" in head else SPAN_PRIOR,
                (Model.from_dict(head["document_model"]) if "document_model" in head
                 else DOCUMENT_PRIOR),
                dict(head.get("fit", {})))
            if len(profile.span_model.weights) != len(FEATURES) \
                    or len(profile.document_model.weights) != len(DOCUMENT_FEATURES):
                raise ValueError("the header's models have the wrong number of weights")
            for offset, line in enumerate(lines[1:]):
                number = offset + 2
                entry = Entry.from_dict(json.loads(line))
                if not entry.observed:
                    raise ValueError("an entry has no observed phrase")
                profile.add(entry)
        except InputError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InputError(f"{where}:{number}: not a valid unspin profile ({error})") from None
        return profile

    def add(self, entry: Entry) -> None:
        """Add `entry`, summing with an entry of the same observed phrase."""
        mine = self.entries.get(entry.observed)
        if mine is None:
            self.entries[entry.observed] = replace(
                entry, originals=dict(entry.originals),
                original_totals=dict(entry.original_totals))
            return
        for original, count in entry.originals.items():
            mine.originals[original] = mine.originals.get(original, 0) + count
        for original, count in entry.original_totals.items():
            mine.original_totals[original] = mine.original_totals.get(original, 0) + count
        mine.kept += entry.kept
        mine.source_count += entry.source_count
        mine.reference += entry.reference
        mine.documents = _union(mine.documents, entry.documents, MAX_DOCUMENTS)
        mine.forms = _union(mine.forms, entry.forms, MAX_DOCUMENTS)

    def merge(self, other: Profile) -> Profile:
        """A new profile with both profiles' counts added (the models of `self` kept:
        refit with `unspin learn` for calibrated confidences)."""
        merged = Profile(self.name if self.name == other.name else f"{self.name}+{other.name}",
                         {}, self.created, self.documents_read + other.documents_read,
                         self.documents_traced + other.documents_traced,
                         self.spun_words + other.spun_words,
                         self.reference_words + other.reference_words,
                         self.span_model, self.document_model, {})
        for entry in [*self.entries.values(), *other.entries.values()]:
            merged.add(entry)
        return merged


def _union(first: Sequence[str], second: Sequence[str], limit: int) -> tuple[str, ...]:
    """`first` then the new items of `second`, at most `limit` in all."""
    return tuple(dict.fromkeys([*first, *second]))[:limit]


@cache
def load_profile(path: str) -> Profile:
    """The profile at `path`, read once per process (`Config.profiles` names them)."""
    return Profile.load(path)


# --- finding a profile's phrases in a text ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place a profile's phrase occurs: tokens [start, stop) of a sentence."""

    sentence: int
    start: int
    stop: int
    entry: Entry
    original: str
    """The original chosen in context (`choose`)."""
    observed_logprob: float
    proposed_logprob: float
    features: tuple[float, ...]
    """`FEATURES`, the last (document evidence) still without the other phrases'."""


def scan(sentences: Sequence[Sequence[Token]], profile: Profile
         ) -> Iterator[tuple[int, int, int]]:
    """(sentence, start, stop) of every profile phrase in the text, longest first at each
    word, never overlapping; a phrase's words must be separated by spaces only."""
    entries = profile.entries
    if not entries:
        return
    longest = profile.longest
    for s, sent in enumerate(sentences):
        k = 0
        while k < len(sent):
            for n in range(min(longest, len(sent) - k), 0, -1):
                if n > 1 and not all(t.joined for t in sent[k + 1 : k + n]):
                    continue
                if " ".join(t.norm for t in sent[k : k + n]) in entries:
                    yield s, k, k + n
                    k += n
                    break
            else:
                k += 1


def _context_logprob(lm: NGramLM, words: list[str], start: int, stop: int,
                     phrase: Sequence[str]) -> float:
    """log10 probability of the window around [start, stop) with `phrase` in its place."""
    left = words[max(0, start - LM_WINDOW) : start]
    right = words[stop : stop + LM_WINDOW]
    window = [*left, *phrase, *right]
    return lm.score(window, len(left), len(window))


def choose(lm: NGramLM, words: list[str], start: int, stop: int, entry: Entry,
           keep: float, text: str = "") -> tuple[str, float, float, float]:
    """(original, observed log10, proposed log10, channel log10 odds) of a profile phrase
    at words [start, stop), by the noisy channel: each original the profile maps it back
    to weighs P_LM(original here) x P(spinner writes the phrase | original); the phrase
    as written weighs P_LM(phrase here) x P(spinner leaves it | it was written). The
    likeliest original is proposed; the odds compare all originals with the phrase left
    alone. `keep` is P(left alone) for a phrase never seen in a source; `text`, the
    document's words joined by spaces (with a space at each end), lets an original the
    document writes elsewhere count `ECHO` more (spinners leave some occurrences be)."""
    observed = _context_logprob(lm, words, start, stop, words[start:stop])
    best: tuple[float, str, float] | None = None
    weights: list[float] = []
    for original in entry.originals:
        proposed = _context_logprob(lm, words, start, stop, original.split())
        value = proposed + math.log10(entry.rate(original))
        weights.append(value)
        if text and f" {original} " in text:
            value += ECHO
        if best is None or value > best[0]:
            best = (value, original, proposed)
    assert best is not None
    top = max(weights)
    swapped = top + math.log10(sum(10.0 ** (w - top) for w in weights))
    left = (entry.kept + keep) / (entry.source_count + 1)
    return best[1], observed, best[2], swapped - observed - math.log10(left)


def likelihood_ratio(entry: Entry, profile: Profile) -> float:
    """log10 of how much more often the phrase occurs in the spinner's copies than in
    clean reference text (both rates per word, smoothed)."""
    spun = (entry.swapped + entry.kept + SMOOTHING) / max(profile.spun_words, 1)
    clean = (entry.reference + SMOOTHING) / max(profile.reference_words, 1)
    return math.log10(spun / clean)


def occurrences(sentences: Sequence[Sequence[Token]], profile: Profile, lm: NGramLM,
                entries: dict[str, Entry] | None = None) -> list[Occurrence]:
    """Every occurrence of the profile's phrases in the text, with its original chosen
    and its features (`entries` overrides the profile's, as learning does to leave a
    document's own counts out)."""
    table = profile.entries if entries is None else entries
    view = profile if entries is None else replace(profile, entries=table)
    found: list[Occurrence] = []
    norms = [[t.norm for t in sent] for sent in sentences]
    keep: float | None = None
    text = " " + " ".join(w for sent in norms for w in sent) + " "
    for s, start, stop in scan(sentences, view):
        entry = table[" ".join(norms[s][start:stop])]
        if entry.swapped == 0:
            continue
        if keep is None:
            keep = view.keep_prior()
        original, observed, proposed, odds = choose(lm, norms[s], start, stop, entry, keep,
                                                   text)
        gain = max(-5.0, min(5.0, proposed - observed))
        found.append(Occurrence(s, start, stop, entry, original, observed, proposed,
                                (max(-8.0, min(8.0, odds)), likelihood_ratio(entry, view),
                                 gain, 0.0)))
    return found


def _swap_mass(found: Iterable[Occurrence]) -> dict[str, float]:
    """Per observed phrase, the summed channel probability (`choose`) that its
    occurrences are swaps, each read as if the text were the spinner's."""
    mass: dict[str, float] = {}
    for o in found:
        key = o.entry.observed
        mass[key] = mass.get(key, 0.0) + 1.0 / (1.0 + 10.0 ** -o.features[0])
    return mass


def document_evidence(found: Iterable[Occurrence], n_words: int) -> dict[str, float]:
    """Per observed phrase, what the document's *other* phrases say: log1p of their
    summed channel probability of being swaps, per 100 words. In clean text the words
    around a profile phrase favour it as written; in the spinner's text they favour an
    original. A lone ordinary word is weak; many likely swaps in one text make each of
    them likelier."""
    mass = _swap_mass(found)
    total = sum(mass.values())
    scale = 100.0 / max(n_words, 50)
    return {phrase: math.log1p((total - own) * scale) for phrase, own in mass.items()}


def whole_evidence(found: Iterable[Occurrence], n_words: int) -> tuple[float, float]:
    """The document model's inputs (`DOCUMENT_FEATURES`), each log1p of a sum per 100
    words: the channel probability that the profile phrases found are swaps (what the
    contexts say), and, over the distinct phrases, their likelihood ratio of spun over
    clean text, positive part capped at 3 (how unusual the phrases are in clean text).
    The first separates best for spinners of near neighbours ("month" for "year"), the
    second for spinners of rarer thesaurus words."""
    found = list(found)
    ratios = {o.entry.observed: max(0.0, min(3.0, o.features[1])) for o in found}
    scale = 100.0 / max(n_words, 50)
    return (math.log1p(sum(_swap_mass(found).values()) * scale),
            math.log1p(sum(ratios.values()) * scale))


def span_inputs(found: Sequence[Occurrence], n_words: int) -> list[tuple[float, ...]]:
    """The span model's inputs (`FEATURES`) of each occurrence, the document evidence of
    the other phrases filled in (what `judge` scores and learning fits on)."""
    others = document_evidence(found, n_words)
    return [(*o.features[:-1], others[o.entry.observed]) for o in found]


def judge(found: Sequence[Occurrence], n_words: int, profile: Profile
          ) -> tuple[list[tuple[Occurrence, float]], float]:
    """Each occurrence with its calibrated probability of being the spinner's swap, and
    the probability that the document is spun by this spinner."""
    judged = [(replace(o, features=xs), profile.span_model.probability(xs))
              for o, xs in zip(found, span_inputs(found, n_words), strict=True)]
    document = profile.document_model.probability(whole_evidence(found, n_words))
    return judged, document


def content(words: Sequence[str]) -> bool:
    """Whether a phrase has a word that is not a function word (only such are learned)."""
    return any(w not in STOPWORDS for w in words)
