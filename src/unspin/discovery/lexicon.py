"""Reverse thesaurus: for an observed wording, the originals a spinner may have replaced.

The data file (built by tools/build_lexicon.py from Moby, MyThes and WordNet) is a
gzipped header line, then one line per observed form, `observed<TAB>orig=bits:fanout;...`,
sorted. The first process unpacks it once into the user's cache (`cache_dir`), with
the longest form's word count added to the header; every process then memory-maps that
copy and searches it by bisection, and a line's tail is parsed only on lookup. Reading
the 39 MB into a dict took 0.45 s of every process's start; now loading costs nothing,
and the pages a process never touches stay on disk. Where no cache can be written, the
file is unpacked into memory instead (0.4 s per process).

A second, small file (built by tools/learn_maps.py) holds inverse maps learned from
Problematic Paper Screener pairs, `observed<TAB>original<TAB>support`; they join the
thesaurus links as source bit 8 ("pps-learned"), merged per observed form on lookup.
"""

from __future__ import annotations

import functools
import gzip
import mmap
import os
import re
import struct
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

PACKED_PREFIX = "#unspin-thesaurus v2"
"""The header of the gzipped file tools/build_lexicon.py writes."""
HEADER_PREFIX = "#unspin-thesaurus v3"
"""The header of an unpacked copy: v2's, with `max_words=N` (the longest form's words)."""
DATA_FILE = "thesaurus.tsv.gz"
CACHE_ENV = "UNSPIN_CACHE"
"""Environment variable naming the directory for the unpacked copy."""
_MAX_WORDS = re.compile(rb"max_words=(\d+)")
LEARNED_FILE = "learned_maps.tsv"
MOBY, MYTHES, WORDNET = 1, 2, 4
LEARNED = 8
"""Source bit of the maps learned from Problematic Paper Screener pairs."""
GLOVE = 16
"""Source bit of GloVe neighbours (unspin.discovery.neighbours)."""
SHAPE = 32
"""Source bit of case-pattern rules (unspin.discovery.shapes: "Home windows", "LAPTOP")."""
SOURCE_NAMES = {MOBY: "moby", MYTHES: "mythes", WORDNET: "wordnet", LEARNED: "pps-learned",
                GLOVE: "glove", SHAPE: "shape"}
SOURCE_BITS = {name: bit for bit, name in SOURCE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Link:
    """One candidate original for an observed form, with the thesauri that give it."""

    original: str
    """Candidate original wording, lower case."""
    sources: int
    """Bitmask of sources listing the link (`SOURCE_NAMES`: 1=Moby 2=MyThes 4=WordNet
    8=PPS-learned 16=GloVe 32=shape)."""
    fanout: int = 1
    """How many synonyms the thesauri give for `original` (a spinner picks one of them);
    for an original only the learned maps know, how many observed forms they give it."""


def source_names(bits: int) -> list[str]:
    """Names of the sources in a bitmask, lowest bit first."""
    return [name for bit, name in SOURCE_NAMES.items() if bits & bit]


def _parse_tail(tail: str) -> tuple[Link, ...]:
    """Parse a line's tail, `orig=bits:fanout;orig=bits:fanout;...`."""
    links = []
    for item in tail.split(";"):
        original, _, rest = item.rpartition("=")
        bits, _, fan = rest.partition(":")
        links.append(Link(original, int(bits), int(fan or 1)))
    return tuple(links)


_cached_parse_tail = functools.lru_cache(maxsize=65536)(_parse_tail)
"""Lookups repeat across a document; the bound keeps memory flat on long runs."""


def parse_learned(text: str, name: str = LEARNED_FILE) -> dict[str, dict[str, int]]:
    """observed -> {original: support} from learned-map text (`#` lines are comments)."""
    learned: dict[str, dict[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[2].isdigit():
            raise ValueError(f"{name}:{number}: expected observed<TAB>original<TAB>support")
        learned.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    return learned


class SortedTable(Mapping[str, str]):
    """A thesaurus file's `observed -> tail` lines, looked up by bisection on its bytes
    (sorted by observed form: UTF-8 byte order is code-point order)."""

    __slots__ = ("_data", "_start", "max_words")

    def __init__(self, data: bytes | mmap.mmap, name: str = DATA_FILE) -> None:
        header_end = data.find(b"\n") + 1
        header = bytes(data[:header_end])
        words = _MAX_WORDS.search(header)
        if not header.startswith(HEADER_PREFIX.encode()) or words is None:
            raise ValueError(f"{name}: not an unspin thesaurus file ({HEADER_PREFIX})")
        self._data, self._start = data, header_end
        self.max_words = int(words.group(1))
        """The longest observed form, in words (the header says)."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The raw tail of `key`'s line, or `default`."""
        data, wanted = self._data, key.encode("utf-8")
        lo, hi = self._start, len(data)  # both always at a line start
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", lo - 1, mid) + 1
            end = data.find(b"\n", mid)
            end = len(data) if end < 0 else end
            tab = data.find(b"\t", start, end)
            found = data[start:tab]
            if found < wanted:
                lo = end + 1
            elif found > wanted:
                hi = start
            else:
                return data[tab + 1 : end].decode("utf-8")
        return default

    def __getitem__(self, key: str) -> str:
        tail = self.get(key)
        if tail is None:
            raise KeyError(key)
        return tail

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.items())

    def __len__(self) -> int:
        return sum(1 for _ in self.items())

    def items(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        """Every (observed, tail), in file order (a full read: for tools, not lookups)."""
        for line in bytes(self._data[self._start :]).decode("utf-8").splitlines():
            key, _, tail = line.partition("\t")
            yield key, tail


class ReverseThesaurus:
    """Observed lower-case word or phrase -> candidate originals, best first."""

    __slots__ = ("_tails", "_learned", "_learned_fanout", "_merged", "_max_words")

    def __init__(
        self, tails: Mapping[str, str], learned: Mapping[str, Mapping[str, int]] | None = None
    ) -> None:
        """`tails`: observed -> raw thesaurus tail (a dict, or a file's `SortedTable`);
        `learned`: observed -> {original: support}."""
        self._tails = tails
        self._learned = learned or {}
        self._learned_fanout = Counter(o for originals in self._learned.values() for o in originals)
        self._merged: dict[str, tuple[Link, ...]] = {}
        self._max_words: int | None = None

    @classmethod
    def load(
        cls, path: Path | None = None, learned: Path | bool | None = None
    ) -> ReverseThesaurus:
        """Read a thesaurus file (lines sorted by observed form): gzipped as
        tools/build_lexicon.py writes it, or unpacked with `max_words` in its header;
        default: the one shipped in unspin/data.

        `learned`: a learned-map file to merge, True for the shipped one, False for none;
        by default the shipped maps join the shipped thesaurus and no other.
        """
        if path is None:
            with resources.as_file(resources.files("unspin").joinpath("data", DATA_FILE)) as at:
                tails = _table(at)
        else:
            tails = _table(Path(path))
        if learned is None:
            learned = path is None
        if learned is True:
            text = resources.files("unspin").joinpath("data", LEARNED_FILE).read_text("utf-8")
            return cls(tails, parse_learned(text))
        if learned is False:
            return cls(tails)
        return cls(tails, parse_learned(Path(learned).read_text("utf-8"), str(learned)))

    def originals(self, observed: str) -> tuple[Link, ...]:
        """Candidate originals of `observed`, most trusted first; () if unknown.

        Links given by more sources come first; among equals, thesaurus links keep
        their file order (likelier original first), then learned-only links by support.
        """
        if observed in self._learned:
            links = self._merged.get(observed)
            if links is None:
                links = self._merged[observed] = self._merge(observed)
            return links
        tail = self._tails.get(observed)
        return _cached_parse_tail(tail) if tail else ()

    def _merge(self, observed: str) -> tuple[Link, ...]:
        """The thesaurus links of `observed` with its learned maps merged in."""
        learned = self._learned[observed]
        tail = self._tails.get(observed)
        links = [
            Link(link.original, link.sources | LEARNED, link.fanout)
            if link.original in learned else link
            for link in (_parse_tail(tail) if tail else ())
        ]
        have = {link.original for link in links}
        new = sorted((o for o in learned if o not in have), key=lambda o: (-learned[o], o))
        links += [Link(o, LEARNED, self._fanout(o)) for o in new]
        links.sort(key=lambda link: -link.sources.bit_count())  # stable: keeps file order
        return tuple(links)

    def _fanout(self, original: str) -> int:
        """Thesaurus fan-out of `original`, else the observed forms learned for it.

        Every thesaurus link to `original` carries the same fan-out; synonym links are
        nearly always symmetric, so one is found among the links of its own synonyms.
        """
        tail = self._tails.get(original)
        for synonym in _parse_tail(tail) if tail else ():
            back = self._tails.get(synonym.original)
            for link in _cached_parse_tail(back) if back else ():
                if link.original == original:
                    return link.fanout
        return max(self._learned_fanout[original], 1)

    @property
    def max_phrase_words(self) -> int:
        """Longest observed form, in words (bounds the n-grams worth looking up)."""
        if self._max_words is None:
            tails = self._tails
            known = [tails.max_words] if isinstance(tails, SortedTable) else [
                1 + k.count(" ") for k in tails]
            self._max_words = max(known + [1 + k.count(" ") for k in self._learned], default=1)
        return self._max_words

    def forward(self, sources: int = MOBY | MYTHES | WORDNET) -> dict[str, list[str]]:
        """Original -> its synonyms (the inverted map), for a test/evaluation spinner.

        Thesaurus links given by any of the `sources` bits only: the learned maps would
        make the spinner write exactly what they reverse.
        """
        forward: dict[str, list[str]] = {}
        for observed, tail in self._tails.items():
            for item in tail.split(";"):
                original, _, rest = item.rpartition("=")
                if int(rest.partition(":")[0]) & sources:
                    forward.setdefault(original, []).append(observed)
        return forward


def _table(path: Path) -> SortedTable:
    """The table of a thesaurus file: memory-mapped if unpacked, else through its
    unpacked copy in `cache_dir()` (made on first use), else unpacked in memory."""
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        if gzipped:
            handle.seek(-8, os.SEEK_END)  # gzip's trailer: CRC-32 and size of the content
            crc, size = struct.unpack("<II", handle.read(8))
    if not gzipped:
        return SortedTable(_mapped(path), str(path))
    try:
        copy = cache_dir() / f"thesaurus-{crc:08x}-{size}.tsv"
        if not copy.is_file():
            unpacked = _unpack(path)
            copy.parent.mkdir(parents=True, exist_ok=True)
            temp = copy.with_name(f".{copy.name}.{os.getpid()}")
            temp.write_bytes(unpacked)
            os.replace(temp, copy)  # atomic: processes starting together never see half
        return SortedTable(_mapped(copy), str(copy))
    except (OSError, RuntimeError):  # no writable cache, or no home directory
        return SortedTable(_unpack(path), str(path))


def _unpack(path: Path) -> bytes:
    """A gzipped v2 file's content with a v3 header: the v2 one plus its longest
    observed form's word count."""
    data = gzip.decompress(path.read_bytes())
    header_end = data.find(b"\n") + 1
    header = data[:header_end].decode("utf-8").rstrip("\n")
    if not header.startswith(PACKED_PREFIX):
        raise ValueError(f"{path}: not an unspin thesaurus file ({PACKED_PREFIX})")
    words = 1 + max((line.split(b"\t", 1)[0].count(b" ")
                     for line in data[header_end:].splitlines()), default=0)
    header = HEADER_PREFIX + header[len(PACKED_PREFIX):] + f"; max_words={words}\n"
    return header.encode("utf-8") + data[header_end:]


def cache_dir() -> Path:
    """Where the unpacked thesaurus is kept: $UNSPIN_CACHE, else $XDG_CACHE_HOME/unspin,
    else ~/.cache/unspin."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "unspin"


def _mapped(path: Path) -> mmap.mmap:
    """`path` memory-mapped read-only (the map outlives the file handle)."""
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


@functools.cache
def default_thesaurus() -> ReverseThesaurus:
    """The shipped thesaurus, loaded once per process."""
    return ReverseThesaurus.load()
