"""Spinner profiles: `unspin.learn` from traced copies, the profile file, and `check`,
`restore` and the CLI with `--profile` (issue 28). The world is tests/learn_fixture.py:
template news, a dictionary spinner of our own, copies traced and copies not."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from learn_fixture import SPINNER, world

import unspin
from unspin import Config, InputError
from unspin.discovery.profile import FORMAT, Profile

REFERENCE, COPIES, UNSOURCED, HIDDEN = world()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> unspin.Index:
    return unspin.Index.build(tmp_path_factory.mktemp("learn") / "index", REFERENCE)


@pytest.fixture(scope="module")
def profile(index: unspin.Index) -> Profile:
    return unspin.learn(COPIES, index, name="fixture")


@pytest.fixture(scope="module")
def profile_path(profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("profile") / "fixture.profile.jsonl"
    profile.save(path)
    return str(path)


def test_learn_finds_every_swap_of_the_spinner(profile: Profile) -> None:
    learned = {(original, entry.observed) for entry in profile.entries.values()
               for original in entry.originals}
    expected = {(k.lower(), v.lower()) for k, v in SPINNER.items()}
    assert learned == expected  # phrases, split names and padded words included
    assert profile.documents_traced == profile.documents_read == len(COPIES)
    said = profile.entries["stated"]
    assert said.documents and all(d.startswith("copy-") for d in said.documents)
    assert profile.entries["home windows"].forms == ("Home windows",)


def test_untraced_documents_teach_nothing(index: unspin.Index) -> None:
    empty = unspin.learn(UNSOURCED, index)
    assert empty.documents_read == len(UNSOURCED)
    assert empty.documents_traced == 0 and not empty.entries


def test_the_file_round_trips_and_reads_as_a_header_and_sorted_lines(
        profile: Profile, profile_path: str) -> None:
    lines = Path(profile_path).read_text("utf-8").splitlines()
    head = json.loads(lines[0])
    assert head["format"] == FORMAT and head["name"] == "fixture"
    assert head["documents_traced"] == len(COPIES) and head["pairs"] == profile.pairs
    observed = [json.loads(line)["observed"] for line in lines[1:]]
    assert observed == sorted(observed)
    assert list(Profile.load(profile_path).lines()) == lines


def test_merge_adds_the_counts(profile: Profile) -> None:
    merged = profile.merge(profile)
    assert merged.entries["stated"].originals["said"] == 2 * profile.entries["stated"].swapped
    assert merged.documents_traced == 2 * profile.documents_traced
    assert merged.pairs == profile.pairs


def test_check_finds_and_restores_the_spinners_work_where_no_source_is_known(
        profile_path: str) -> None:
    config = Config(profiles=(profile_path,))
    for _, text in UNSOURCED:
        report = unspin.check(text, restore=True, config=config)
        learned = [f for f in report.findings if f.evidence.get("source") == "profile"]
        assert report.verdict == "spun" and len(learned) >= 3
        for finding in learned:
            original = finding.replacements[0].value
            assert SPINNER.get(original, SPINNER.get(original.lower(), "")).lower() \
                == finding.text.lower()
            assert finding.evidence["profile"] == "fixture"
            assert "traced copies" in finding.evidence["explanation"]
            assert finding.evidence["documents"]
        assert "stated" not in (report.restored or "")


def test_clean_text_and_a_lone_ordinary_word_are_not_accused(profile_path: str) -> None:
    config = Config(profiles=(profile_path,))
    for _, text in HIDDEN:
        plain = unspin.check(text, restore=True)
        with_profile = unspin.check(text, restore=True, config=config)
        assert with_profile == plain  # none of the profile's phrases occurs
    one = HIDDEN[0][1].replace(" said", " stated", 1)
    report = unspin.check(one, config=config)
    assert not [f for f in report.findings if f.evidence.get("source") == "profile"]
    assert report.verdict != "spun"


def test_bad_profiles_are_one_line_errors(tmp_path: Path, profile_path: str) -> None:
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"format": FORMAT, "version": 99}) + "\n")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(Path(profile_path).read_text().splitlines()[0] + "\n{\"observed\": 1}\n")
    for path, message in [(tmp_path / "missing.jsonl", "no such profile"),
                          (newer, "newer than this unspin reads"),
                          (broken, "broken.jsonl:2: not a valid unspin profile")]:
        with pytest.raises(InputError, match=message):
            Profile.load(path)


def _unspin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "unspin", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _jsonl(path: Path, docs: list[tuple[str, str]]) -> None:
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs))


def test_cli_learn_then_check_and_screen_with_the_profile(tmp_path: Path,
                                                          index: unspin.Index) -> None:
    _jsonl(tmp_path / "copies.jsonl", COPIES)
    learned = _unspin("learn", "copies.jsonl", "--index", str(index.path), "-o", "p.jsonl",
                      cwd=tmp_path)
    assert learned.returncode == 0, learned.stderr
    assert f"from {len(COPIES)} of {len(COPIES)} documents traced" in learned.stderr
    (tmp_path / "doc.txt").write_text(UNSOURCED[0][1])
    checked = _unspin("check", "doc.txt", "--profile", "p.jsonl", cwd=tmp_path)
    assert checked.returncode == 1  # spun
    assert "profile)" in checked.stdout and "p.jsonl: the spinner wrote" in checked.stdout
    restored = _unspin("restore", "doc.txt", "--profile", "p.jsonl", cwd=tmp_path)
    assert restored.returncode == 0 and "stated" not in restored.stdout
    bad = _unspin("check", "doc.txt", "--profile", "nope.jsonl", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == "unspin: error: nope.jsonl: no such profile\n"


def test_cli_screen_learn_writes_the_profile_beside_the_output(tmp_path: Path,
                                                               index: unspin.Index) -> None:
    _jsonl(tmp_path / "batch.jsonl", [*COPIES[:10], *UNSOURCED])
    done = _unspin("screen", "batch.jsonl", "-o", "out.jsonl", "--learn", "--index",
                   str(index.path), "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Profile.load(tmp_path / "out.jsonl.profile.jsonl").documents_traced == 10
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    unsourced = [r for r in rows if r["id"].startswith("unsourced")]
    assert all(any(f["evidence"]["source"] == "profile" for f in r["findings"])
               for r in unsourced)
    lone = _unspin("screen", "batch.jsonl", "-o", "o.jsonl", "--index", str(index.path),
                   cwd=tmp_path)
    assert lone.returncode == 2 and "--index needs --learn" in lone.stderr


def test_the_confidence_cut_decides_what_is_reported(profile_path: str) -> None:
    def reported(cut: float) -> int:
        config = replace(Config(), profiles=(profile_path,), profile_min_confidence=cut)
        report = unspin.check(UNSOURCED[0][1], config=config)
        return sum(f.evidence.get("source") == "profile" for f in report.findings)

    assert reported(0.5) > reported(0.985) > 0
