"""Leave-one-source-out folds: a spinner per synonym source, and the detector without it.

An evaluation whose spinner draws from the thesauri that discovery inverts measures
nothing, so each fold spins with one source and runs discovery with that source (and
anything derived from it) switched off through `Config.sources`:

| fold | spinner draws from | discovery runs without |
|---|---|---|
| moby | Moby thesaurus links | moby |
| mythes | MyThes links | mythes, wordnet (OpenOffice's en_US MyThes is built from WordNet) |
| wordnet | WordNet links, all senses ("State" -> "Kingdom" happens) | wordnet, mythes |
| glove | 3 nearest GloVe neighbours (cosine >= 0.75, other stems, no stopwords) | glove, shape |
| phrase | MyThes/WordNet multi-word entries; names, acronyms: all their entries | wordnet, mythes |

The phrase spinner copies a name's case pattern onto its synonym ("PC" -> "LAPTOP").

`COMMERCIAL` ("dictionary") imitates a commercial spinner: a fixed dictionary of two
common Moby/MyThes synonyms and one MyThes/WordNet phrase per word, one alternative per
name; discovery runs without moby, mythes and wordnet against it. It is not one of
`FOLDS`, whose spinners train the per-fold models: it shares a source with every one of
them but glove. tools/eval.py reports it as a sixth fold (its models fitted on the glove
spinner alone), tools/eval_learn.py scores spinner profiles on it, and the shipped
confidence model is fitted on it beside the five (tools/calibrate.py --spinners).

The glove fold also drops "shape": its acronym candidates come from the same vectors.
Models (tools/calibrate.py) used against a fold are fitted only on the spinners of folds
that share no source with it (`Fold.trainers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from spinner import STOPWORDS

from unspin.core.config import Config
from unspin.discovery.lexicon import MOBY, MYTHES, WORDNET, default_thesaurus
from unspin.discovery.neighbours import default_neighbours, same_stem

TAGGERS = Path(__file__).resolve().parents[1] / "build"
GLOVE_SPIN_SIMILARITY = 0.75
GLOVE_SPIN_NEAREST = 3
"""An embedding spinner swaps in one of a word's nearest neighbours, not any related word."""


@dataclass(frozen=True)
class Fold:
    """One spinner and the candidate sources discovery may not use against it."""

    name: str
    off: frozenset[str]
    forward: Callable[[], dict[str, list[str]]]
    names: Callable[[], dict[str, list[str]]] | None = None
    """The forward map for capitalised words and acronyms, if the spinner spins them."""

    def spin_args(self) -> tuple[dict[str, list[str]], dict[str, list[str]] | None]:
        """(forward, names) maps for `datasets.spun_news`."""
        return self.forward(), None if self.names is None else self.names()

    def config(self, base: Config) -> Config:
        """`base` with this fold's sources switched off."""
        return replace(base, sources=base.sources - self.off)

    def trainers(self) -> list[Fold]:
        """The folds whose spinners a model used against this one may learn from: those
        sharing no source with it (the phrase spinner draws from WordNet too, so it
        never trains a model for the wordnet or mythes fold)."""
        return [f for f in FOLDS if not f.off & self.off]

    def tagger_name(self) -> str:
        """The fold whose tagger is used against this one: the first with the same
        trainers, as they share one model (its own name where none has them)."""
        mine = [f.name for f in self.trainers()]
        return next((f.name for f in FOLDS if [g.name for g in f.trainers()] == mine), self.name)

    def tagger_path(self) -> Path:
        """Where `make tagger-eval` leaves the tagger used against this fold, trained
        without its spinner (build/tagger-<tagger_name>.npz)."""
        return TAGGERS / f"tagger-{self.tagger_name()}.npz"


@cache
def glove_forward() -> dict[str, list[str]]:
    """Original -> the nearest GloVe neighbours a spinner could swap in (of another stem)."""
    table = default_neighbours()
    forward: dict[str, list[str]] = {}
    for word in table.words:
        near = [w for w, s in table.similar(word)
                if s >= GLOVE_SPIN_SIMILARITY and not same_stem(w, word)
                and w not in STOPWORDS]
        if near:
            forward[word] = near[:GLOVE_SPIN_NEAREST]
    return forward


@cache
def _thesaurus_forward(bits: int) -> dict[str, list[str]]:
    return default_thesaurus().forward(bits)


@cache
def phrase_forward() -> dict[str, list[str]]:
    """MyThes/WordNet entries with a multi-word side ("bank" -> "financial institution")."""
    forward: dict[str, list[str]] = {}
    for key, synonyms in _thesaurus_forward(MYTHES | WORDNET).items():
        multi = synonyms if " " in key else [s for s in synonyms if " " in s]
        if multi:
            forward[key] = multi
    return forward


DICTIONARY_SIZE = 2
"""Alternatives a commercial spinner's dictionary lists per word (its most common ones)."""


@cache
def dictionary_forward() -> dict[str, list[str]]:
    """A commercial spinner's fixed dictionary: per word, its `DICTIONARY_SIZE` most
    common synonyms that Moby and MyThes both list, and one multi-word alternative where
    MyThes/WordNet have one ("access" -> a phrase): such dictionaries hold a few fixed
    choices per word, not a thesaurus's dozens."""
    from spinner import _commonness

    forward: dict[str, list[str]] = {}
    moby, mythes = _thesaurus_forward(MOBY), _thesaurus_forward(MYTHES)
    phrases = phrase_forward()
    for key in sorted(set(moby) | set(phrases)):
        both = set(moby.get(key, ())) & set(mythes.get(key, ()))
        plain = sorted((s for s in both if " " not in s and s != key),
                       key=lambda s: (-_commonness(s), s))[:DICTIONARY_SIZE]
        multi = sorted(phrases.get(key, ()), key=lambda s: (-_commonness(s), s))[:1]
        if plain or multi:
            forward[key] = [*plain, *multi]
    return forward


@cache
def dictionary_names() -> dict[str, list[str]]:
    """The commercial dictionary's entries for names and acronyms: one fixed alternative
    each ("Bank" -> "Financial institution", "PC" -> "LAPTOP")."""
    from spinner import _commonness

    table = _thesaurus_forward(MYTHES | WORDNET)
    return {key: sorted(values, key=lambda s: (-_commonness(s), s))[:1]
            for key, values in table.items() if values}


FOLDS = (
    Fold("moby", frozenset({"moby"}), lambda: _thesaurus_forward(MOBY)),
    Fold("mythes", frozenset({"mythes", "wordnet"}), lambda: _thesaurus_forward(MYTHES)),
    Fold("wordnet", frozenset({"wordnet", "mythes"}), lambda: _thesaurus_forward(WORDNET)),
    Fold("glove", frozenset({"glove", "shape"}), glove_forward),
    Fold("phrase", frozenset({"wordnet", "mythes"}), phrase_forward,
         names=lambda: _thesaurus_forward(MYTHES | WORDNET)),
)

COMMERCIAL = Fold("dictionary", frozenset({"moby", "mythes", "wordnet"}), dictionary_forward,
                  names=dictionary_names)
"""A spinner imitating commercial ones: a fixed dictionary of a few alternatives per word,
phrases and names included (`dictionary_forward`). Not in `FOLDS` (see the module
docstring): tools/eval.py and tools/eval_learn.py report it beside them."""

SPINNERS = (*FOLDS, COMMERCIAL)
"""Every spinner of ours: the folds' and the commercial one (evaluation folds, and what
the shipped confidence model is fitted on)."""
