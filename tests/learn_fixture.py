"""A small world for the spinner-profile tests: reference news written from templates, a
dictionary spinner of our own, and copies spun from some of the references.

Each document is unique (its names, places and figures are drawn with a seeded RNG), so
`trace` finds the source of a copy; the spinner swaps words and phrases as commercial
spinners do ("said" -> "stated", "access" -> "get admission to", "Windows" -> "Home
windows"), the same way every time.
"""

from __future__ import annotations

import random
import re

from unspin.discovery.profile import Entry, Profile

SPINNER = {
    "said": "stated",
    "city": "metropolis",
    "company": "organisation",
    "important": "significant",
    "access": "get admission to",
    "Windows": "Home windows",
    "help": "assist",
    "buy": "purchase",
    "show": "demonstrate",
    "big": "huge",
    "started": "commenced",
    "rise": "upward push",
    "problem": "difficulty",
    "officials": "authorities",
    "based": "primarily based",
}
"""Original -> what the spinner writes (word boundaries, case as written)."""

NAMES = ["Ada Brown", "Li Wei", "Omar Haddad", "Greta Lind", "Paul Okafor", "Mira Sen",
         "Tom Reyes", "Nina Petrov", "Sam Oduya", "Eva Moreau", "Raj Patel", "Kim Cho"]
PLACES = ["Leeds", "Porto", "Dakar", "Oslo", "Quito", "Hanoi", "Perth", "Lyon", "Tunis",
          "Cork", "Riga", "Accra"]
FIRMS = ["Norland", "Bexco", "Tamsin", "Crestfield", "Arvo", "Pellmark", "Quorra",
         "Halden", "Ostrava", "Velmont"]
TEMPLATES = [
    "{firm} said on {day} that it would buy a big stake in a rival from {place} for "
    "{n1} million pounds.",
    "The company started talks with officials in the city of {place} in {year}.",
    "{name} said the deal was important because customers want access to cheaper "
    "software for Windows.",
    "Officials in {place} said the problem would not go away before {year}.",
    "A rise of {n2} percent in sales would help the company show that the plan works, "
    "{name} said.",
    "The city council of {place} started a review of the {firm} plan on {day}.",
    "Shares of {firm} rose {n3} percent after the company said profits were up.",
    "{name}, who is based in {place}, said the problem was important to {n4} workers.",
    "Analysts said a big rise in costs could hurt {firm} in the second half of {year}.",
    "The firm will buy new machines to help staff in {place} get access to faster "
    "networks.",
    "Many users still run Windows on old machines, {name} said.",
    "The review will show whether the city can afford {n5} new homes by {year}.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def document(rng: random.Random) -> str:
    """One reference article: eight template sentences in a random order and fill."""
    chosen = rng.sample(TEMPLATES, 8)
    sentences = [t.format(firm=rng.choice(FIRMS), day=rng.choice(DAYS),
                          place=rng.choice(PLACES), name=rng.choice(NAMES),
                          year=rng.randint(1990, 2030), n1=rng.randint(10, 990),
                          n2=rng.randint(2, 40), n3=rng.randint(2, 19),
                          n4=rng.randint(100, 9000), n5=rng.randint(100, 5000))
                 for t in chosen]
    return " ".join(sentences[:4]) + "\n\n" + " ".join(sentences[4:]) + "\n"


def spin(text: str, rng: random.Random, rate: float = 0.8) -> str:
    """The spinner's copy of `text`: each dictionary word swapped with probability
    `rate` (lower-case originals also when capitalised, keeping the capital)."""
    def swap(match: re.Match[str]) -> str:
        word = match.group()
        if rng.random() >= rate:
            return word
        if word in SPINNER:
            return SPINNER[word]
        out = SPINNER[word.lower()]
        return out[0].upper() + out[1:]

    keys = sorted({*SPINNER, *(k.capitalize() for k in SPINNER if k.islower())},
                  key=len, reverse=True)
    return re.sub(r"\b(?:" + "|".join(map(re.escape, keys)) + r")\b", swap, text)


def world(seed: int = 7, references: int = 40, traced: int = 20, unsourced: int = 4
          ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]],
                     list[tuple[str, str]]]:
    """(reference docs to index, spun copies of the first `traced` of them, spun copies
    of `unsourced` other docs never indexed, and those docs' clean originals)."""
    rng = random.Random(seed)
    docs = [(f"ref-{k:03d}", document(rng)) for k in range(references + unsourced)]
    reference, hidden = docs[:references], docs[references:]
    copies = [(f"copy-{k:03d}", spin(text, rng)) for k, (_, text) in enumerate(reference[:traced])]
    unseen = [(f"unsourced-{k:03d}", spin(text, rng)) for k, (_, text) in enumerate(hidden)]
    return reference, copies, unseen, hidden


def hand_profile(name: str = "hand") -> Profile:
    """A profile written by hand from `SPINNER`, as a reviewer may edit one: each swap
    seen 40 times, the phrases never in the reference, the default models."""
    profile = Profile(name, spun_words=20_000, reference_words=2_000_000)
    for original, observed in SPINNER.items():
        profile.add(Entry(observed.lower(), {original.lower(): 40},
                          {original.lower(): 60}, documents=("hand-1", "hand-2")))
    return profile
