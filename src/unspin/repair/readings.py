"""Candidate readings of what a stale paste overwrote, from the document's vocabulary
and the CMU dictionary."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from unspin.repair.common import (
    _BARE_MARKS,
    _CLOSING_PUNCT,
    _LOOSE_HYPHEN,
    _SEPARATORS,
    _letters_after,
    _letters_before,
    _Paste,
    _sentence_start,
)
from unspin.repair.vocabulary import _dictionary, _DocVocabulary


def _fill_values(text: str, paste: _Paste, doc: _DocVocabulary) -> Iterator[tuple[str, str]]:
    """(value, source) for each way the overwritten characters can be read."""
    i, size, after = paste.start, paste.unknown, paste.after
    head = _letters_before(text, i)
    following = paste.kept() + text[after : after + 40]
    tail = _letters_after(following)
    seen: set[str] = set()
    before = text[i - 1 : i]
    candidates = _expand(head.lower(), tail.lower(), size, doc, first=True,
                         before_space=before.isspace() or not before,
                         whole_tail=len(paste.token) > 1)
    if size == 1 and not tail:
        candidates = itertools.chain(candidates, ((mark, "rule") for mark in _CLOSING_PUNCT))
    acronym = len(head) >= 2 and head.isupper()
    for value, source in candidates:
        if acronym and not doc.counts[(head + _letters_after(value)).lower()]:
            continue  # only the document can say how an acronym goes on
        cased = _cased(value, head, tail, text, i, doc)
        if (cased not in seen and cased.lower() != paste.token[:size].lower()  # a no-op
                and (cased.isalpha() or not paste.split)  # a split cut a letter
                and not _LOOSE_HYPHEN.search(f"{head}{value}{tail}")
                and not (value.endswith(_BARE_MARKS) and following[:1].isalnum())):
            seen.add(cased)
            yield cased, source if any(c.isalpha() for c in value) else "rule"


def _cased(value: str, head: str, tail: str, text: str, i: int, doc: _DocVocabulary) -> str:
    """The reading in the case of its words: letters that go on an ALL-CAPS word are
    capitals; a new word is capitalised where a sentence starts or where the document
    always capitalises it (a name)."""

    def case(m: re.Match[str]) -> str:
        letters, start, end = m.group(), m.start(), m.end()
        before = head if start == 0 else ""
        after = tail if end == len(value) else ""
        attached = before or after
        if len(attached) >= 2 and attached.isupper():
            return letters.upper()
        if before:
            return letters
        word = (letters + after).lower()
        if word in doc.capitalised or _sentence_start(text[:i] + value[:start]):
            return letters[:1].upper() + letters[1:]
        return letters

    return re.sub(r"[^\W\d_]+", case, value)


def _expand(prefix: str, tail: str, size: int, doc: _DocVocabulary, *, first: bool,
            before_space: bool, whole_tail: bool, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Readings of `size` characters that make every word they touch a known word.

    They finish the word `prefix` began, may hold separators and whole words, and
    start the word `tail` ends, or end before it when it is a `whole_tail` (a pasted
    possessive is a word of its own); at most two separators, the second a space.
    """
    if whole_tail:
        if size == 0 and not prefix:
            yield "", "rule"
    else:
        for word, source in _words(prefix, tail, len(prefix) + size + len(tail), doc):
            yield word[len(prefix) : len(prefix) + size], source
    if depth >= 2:
        return
    for used in range(size):
        if prefix or used:
            closers = _words(prefix, "", len(prefix) + used, doc)
        elif first and not before_space:
            closers = iter([("", "rule")])
        else:
            continue
        for word, source in closers:
            piece = word[len(prefix) :]
            for sep in (*_SEPARATORS, *_BARE_MARKS) if depth == 0 else (" ",):
                if size - used - len(sep) < 0 or (
                        sep in _BARE_MARKS and size - used - len(sep) > 0):
                    continue
                for rest, rest_source in _expand("", tail, size - used - len(sep), doc,
                                                 first=False, before_space=sep.endswith(" "),
                                                 whole_tail=whole_tail, depth=depth + 1):
                    yield piece + sep + rest, _stronger(source, rest_source)


def _stronger(a: str, b: str) -> str:
    """The more telling of two evidence sources (the document beats the dictionary)."""
    order = ("document", "dictionary", "rule")
    return min(a, b, key=order.index)


def _words(prefix: str, tail: str, length: int, doc: _DocVocabulary) -> Iterator[tuple[str, str]]:
    """Known lower-case words of `length` starting with `prefix` and ending with `tail`."""
    if length == 0:
        if not prefix and not tail:
            yield "", "rule"
        return
    if length < len(prefix) + len(tail):
        return
    seen = set()
    for word in doc.matching(prefix, tail, length):
        seen.add(word)
        yield word, "document"
    dictionary = _dictionary()
    if prefix:
        candidates = dictionary.starting(prefix, length)
    elif tail:
        candidates = dictionary.ending(tail, length)
    else:
        candidates = dictionary.common(length)
    for word in candidates:
        if word.endswith(tail) and word not in seen:
            yield word, "dictionary"
