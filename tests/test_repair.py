"""Repair of mechanical damage (unspin.repair): golden cases, check/restore, CLI, damage.

The golden cases (tests/golden/repair/, one file per damage family: pastes, residue,
mojibake) hold the issue's examples and more of each family, and clean text of the kind
each family could mistake for damage, which must come back unchanged. Cases
whose expected repair falls short of the original say so in `original` and `why`;
they are also run against the original as known failures, so a fix shows as XPASS.
"""

from __future__ import annotations

import importlib
import io
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from damage import TOKEN, damage

import unspin
import unspin.pipeline.engine as engine
from unspin import Config, cli
from unspin.core.records import Finding, Replacement
from unspin.repair import find_repairs, repair_text

GOLDEN = Path(__file__).parent / "golden" / "repair"
FAMILIES = ("pastes", "residue", "mojibake")
"""One golden file per damage family, named after the module of `unspin.repair` that
undoes it (pastes: the stale pastes of quotes and possessives)."""
CASES: list[dict[str, Any]] = [
    {**case, "family": family} for family in FAMILIES
    for case in json.loads((GOLDEN / f"{family}.json").read_text("utf-8"))]
DATA = Path(__file__).parents[2] / "shared" / "data"

DAMAGED = "O'Gara kicked all Ireland'sd's points and the election res\"lt,\" said Aidan."
FIXTURE = ("The minister said the government's decision was \"irresponsible\" and \"dangerous\", "
           "according to the opposition's spokesman. \"We will fight it,\" she said.")


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(c, id=f"{c['family']}: {c['label']}") for c in cases]


def assert_offsets(text: str, findings: list[Finding] | tuple[Finding, ...]) -> None:
    """Every finding's text is the input at its offset and length; none overlap."""
    end = 0
    for f in sorted(findings, key=lambda f: f.offset):
        assert text[f.offset : f.offset + f.length] == f.text
        assert f.offset >= end
        end = f.end


# --- golden cases ------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(CASES))
def test_golden(case: dict[str, Any]) -> None:
    text = case["text"]
    findings = find_repairs(text)
    assert_offsets(text, findings)
    assert all(f.kind in ("mechanical", "residue") for f in findings)
    assert all(f.evidence["source"] == "repair" and f.replacements for f in findings)
    assert repair_text(text) == case["repaired"]
    assert unspin.repair(text) == case["repaired"]
    if case["repaired"] == text:
        assert not findings, [f.to_dict() for f in findings]
    assert all(_family(f) == case["family"] for f in findings), [f.to_dict() for f in findings]


def _family(finding: Finding) -> str:
    """The damage family a repair belongs to, by its evidence's rule."""
    if finding.kind == "residue":
        return "residue"
    return "mojibake" if finding.evidence["rule"] == "mojibake" else "pastes"


@pytest.mark.parametrize("case", _params([c for c in CASES if "original" in c]))
@pytest.mark.xfail(strict=False, reason="known failure, see its 'why'")
def test_golden_original(case: dict[str, Any]) -> None:
    assert repair_text(case["text"]) == case["original"]


def test_every_family_has_damaged_and_clean_cases() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.json")) == sorted(FAMILIES)
    for family in FAMILIES:
        cases = [c for c in CASES if c["family"] == family]
        assert any(c["repaired"] != c["text"] for c in cases), family
        assert any(c["repaired"] == c["text"] for c in cases), family


def test_every_issue_example_is_a_golden_case() -> None:
    texts = " ".join(c["text"] for c in CASES)
    for damaged in ('res"lt,"', 'th" "killer', "all Ireland'sd's", "alloArgentina'sna's",
                    "whArgentina'sa's", "director Microsoft'st's", 'control"" said',
                    "Janu\u201d ry", "Janu\u201dry\u201d"):
        assert damaged in texts


def test_evidence_names_the_paste_and_the_recovery() -> None:
    [finding] = find_repairs("Indiscipline alloArgentina'sna's fly-half. The Pumas never "
                             "allowed Ireland to take control.")
    assert finding.text == "alloArgentina'sna's"
    assert finding.replacements[0].value == "allowed Argentina's"
    assert finding.evidence["rule"] == "stale-paste"
    assert finding.evidence["pasted"] == "Argentina's"
    assert finding.evidence["overwritten"] == "wed "
    assert finding.evidence["recovered_from"] == "document"


def test_unsure_recovery_is_a_marked_guess_with_the_rivals_as_replacements() -> None:
    [finding] = find_repairs("director Microsoft'st's Windows Server division")
    values = [r.value for r in finding.replacements]
    assert values[0] == "of Microsoft's" and "in Microsoft's" in values
    assert finding.evidence["guess"] is True
    assert finding.confidence <= 0.5
    shares = [r.confidence for r in finding.replacements]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 1.0


# --- check and restore ---------------------------------------------------------------


def test_check_lists_repairs_and_restore_applies_them() -> None:
    report = unspin.check(DAMAGED, restore=True)
    assert_offsets(DAMAGED, report.findings)
    repairs = [f for f in report.findings if f.kind in ("mechanical", "residue")]
    assert [f.text for f in repairs] == ["Ireland'sd's", 'res"lt,"']
    assert report.restored is not None
    assert "all of Ireland's points" in report.restored
    assert 'election result," said' in report.restored
    assert unspin.restore(DAMAGED) == report.restored


def test_config_can_turn_repair_off() -> None:
    report = unspin.check(DAMAGED, restore=True, config=Config(repair=False))
    assert all(f.kind == "lexical" for f in report.findings)
    assert report.restored is not None and "Ireland'sd's" in report.restored


def test_repairs_are_no_evidence_of_spinning() -> None:
    with_repairs = unspin.check(DAMAGED)
    without = unspin.check(DAMAGED, config=Config(repair=False))
    assert (with_repairs.score, with_repairs.verdict) == (without.score, without.verdict)


def test_lexical_findings_inside_a_repair_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Counterfeit consciousness is changing the world."
    assert any(f.text == "Counterfeit consciousness" for f in unspin.check(text).findings)
    repair = Finding(0, 11, "Counterfeit", "mechanical", 0.9, (Replacement("Artificial", 0.9),),
                     {"source": "repair", "rule": "test"})
    monkeypatch.setattr(engine, "find_repairs", lambda _: [repair])
    report = unspin.check(text, restore=True)
    assert [f.kind for f in report.findings] == ["mechanical"]
    assert report.restored == "Artificial consciousness is changing the world."


# --- CLI -----------------------------------------------------------------------------


def test_cli_repair_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "damaged.txt"
    path.write_text(DAMAGED, encoding="utf-8")
    assert cli.main(["repair", str(path)]) == 0
    assert capsys.readouterr().out == unspin.repair(DAMAGED)


def test_cli_repair_json_is_the_repairs(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "damaged.txt"
    path.write_text(DAMAGED, encoding="utf-8")
    assert cli.main(["repair", "--format", "json", str(path)]) == 0
    body = json.loads(capsys.readouterr().out)
    repaired, found = unspin.repairs(DAMAGED)
    assert body == {"repaired": repaired, "findings": [f.to_dict() for f in found]}
    assert_offsets(DAMAGED, [Finding.from_dict(f) for f in body["findings"]])


def test_cli_repair_stdin(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    text = "Intro.\n\nAdvertisement\n\nThe caf\u00c3\u00a9 opened.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert cli.main(["repair", "-"]) == 0
    assert capsys.readouterr().out == "Intro.\n\nThe caf\u00e9 opened.\n"


def test_cli_check_json_lists_repair_kinds(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "damaged.txt"
    path.write_text("Intro.\nADVERTISEMENT\n" + DAMAGED, encoding="utf-8")
    cli.main(["check", "--format", "json", str(path)])
    kinds = {f["kind"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert {"mechanical", "residue"} <= kinds


# --- the damage generator ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_damage_spans_describe_the_damage(seed: int) -> None:
    damaged, spans = damage(FIXTURE, random.Random(seed), 0.6)
    assert len(damaged) == len(FIXTURE)  # pasting overwrites: lengths are kept
    undone = list(damaged)
    for s in spans:
        assert 1 <= s.shift <= 6 and s.length == s.shift + len(s.token)
        assert damaged[s.offset : s.offset + s.length] == s.damaged
        assert FIXTURE[s.offset : s.offset + s.length] == s.original
        assert s.damaged.startswith(s.token) and s.original.endswith(s.token)
        undone[s.offset : s.offset + s.length] = s.original
    assert "".join(undone) == FIXTURE


def test_damage_is_deterministic_and_rate_zero_is_clean() -> None:
    assert damage(FIXTURE, random.Random(3), 0.5) == damage(FIXTURE, random.Random(3), 0.5)
    assert damage(FIXTURE, random.Random(3), 0.0) == (FIXTURE, [])


def test_damage_pastes_quotes_and_possessives_but_not_contractions() -> None:
    tokens = [m.group() for m in TOKEN.finditer(FIXTURE + " It's rock 'n' roll.")]
    assert tokens.count('"') == 6
    assert "government's" in tokens and "opposition's" in tokens
    assert "It's" in tokens  # matched, then skipped by `damage` as a contraction
    text = "It's here and that's that."
    assert damage(text, random.Random(1), 1.0) == (text, [])


@pytest.mark.parametrize("seed", range(12))
def test_damage_then_repair_round_trip(seed: int) -> None:
    damaged, spans = damage(FIXTURE, random.Random(seed), 0.6)
    repaired = unspin.repair(damaged)
    if seed in (0, 1, 2, 4, 5, 7, 9):
        assert repaired == FIXTURE
    # never a stutter left behind, never a quote glued inside a word
    assert not re.search(r"(\w's)\w*\1", repaired)
    assert not re.search(r"[a-z]\"[a-z]", repaired)


@pytest.mark.skipif(not (DATA / "news").is_dir(), reason="needs ../shared/data")
def test_damaged_dev_news_is_mostly_restored() -> None:
    from datasets import clean_docs
    from eval import overwritten_restored

    docs = [d for d in clean_docs(DATA, "dev", 30, 7) if d[0].startswith(("bbc", "reuters"))]
    rng = random.Random(7)
    restored = total = 0
    for _, text in docs:
        damaged, spans = damage(text, rng, 0.5)
        assert repair_text(text) == text
        got, out_of = overwritten_restored(text, damaged, spans, repair_text(damaged))
        restored, total = restored + got, total + out_of
    assert total and restored / total >= 0.7


def test_mojibake_on_one_long_line_compares_bounded_pieces(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One line with no newline costs linear time: the character diff only ever sees
    pieces of at most MOJIBAKE_PIECE characters, and each mis-decoded word is fixed."""
    mojibake = importlib.import_module("unspin.repair.mojibake")
    compared: list[int] = []
    diff = mojibake._changed_words
    monkeypatch.setattr(mojibake, "_changed_words",
                        lambda a, b: compared.append(len(a)) or diff(a, b))
    sentence = "The caf\u00c3\u00a9 said it would reopen next week after the storm. "
    text = sentence * 4000  # 260k characters, one line
    findings = find_repairs(text)
    assert_offsets(text, findings)
    assert len([f for f in findings if f.evidence["rule"] == "mojibake"]) == 4000
    assert max(compared) <= mojibake.MOJIBAKE_PIECE
    assert "caf\u00e9" in repair_text(text) and "\u00c3" not in repair_text(text)
    compared.clear()
    find_repairs("caf\u00e9 " * 50_000)  # non-ASCII but nothing to fix: no diff at all
    assert compared == []


def test_repairs_gives_the_repaired_text_and_its_findings() -> None:
    repaired, found = unspin.repairs(DAMAGED)
    assert repaired == unspin.repair(DAMAGED) == repair_text(DAMAGED) != DAMAGED
    assert found == find_repairs(DAMAGED) and found
    with pytest.raises(unspin.InputError, match="empty"):
        unspin.repairs(" \n")
