"""The pure core: text in, Report out. Every adapter calls `analyze`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from unspin.core.config import Config
from unspin.core.config import validate_text as validate_text  # re-exported
from unspin.core.errors import InputError
from unspin.core.lm import NGramLM, default_lm
from unspin.core.records import Finding, Replacement, Report, Spans
from unspin.core.records import apply_findings as apply_findings  # re-exported
from unspin.core.tokens import STOPWORDS, Token, match_case, sentences
from unspin.discovery import tagger as tagger_module
from unspin.discovery.decoder import Proposal, propose
from unspin.discovery.known import KnownList, KnownMatch, default_known_list
from unspin.discovery.lexicon import LEARNED, MOBY, MYTHES, WORDNET, Link, source_names
from unspin.discovery.profile import Occurrence, Profile, judge, load_profile, occurrences
from unspin.discovery.rescore import SentenceScorer, rescore
from unspin.discovery.sources import sources_for
from unspin.pipeline.score import (
    confidence,
    confidence_cut,
    doc_score,
    finding_features,
    in_context,
    scorer_name,
    signals,
)
from unspin.repair import find_repairs

FAST_LM_NAME = "CMU en-us 3-gram (pocketsphinx)"
INSTALL_HINT = "the neural scorer needs `pip install 'unspin[neural]'`"
TAGGER_HINT = "the tagger needs `pip install 'unspin[tagger]'`"
LEXICON = MOBY | MYTHES | WORDNET | LEARNED
"""Sources whose links carry the original's synonym count (GloVe and shape carry a rank)."""
MAX_PROFILE_CONFIDENCE = 0.99
"""A profile's span model may be surer than this; a finding never claims more (as the
known list's)."""
KNOWN_LIST_NAME = "Problematic Paper Screener (Cabanac, Labbé, Magazinov 2021), CC BY 4.0"


def _with_article(
    text: str, tokens: Sequence[Token], first: int, start: int, end: int, replacement: str
) -> tuple[int, str]:
    """Widen a span to a preceding "a"/"an" when the replacement needs the other one.

    Restoring "a counterfeit" to "an artificial" must change the article too, so the
    finding covers it; returns the (possibly earlier) start and the replacement.
    """
    if first == 0 or not tokens[first].joined or tokens[first - 1].norm not in ("a", "an"):
        return start, replacement
    article = tokens[first - 1]
    wanted = "an" if replacement[:1].lower() in "aeiou" else "a"
    if article.norm == wanted:
        return start, replacement
    widened = match_case(article.text, wanted) + text[article.end : start] + replacement
    return article.offset, widened


def neural_scorer() -> SentenceScorer:
    """The neural scorer, or an InputError naming the extra to install."""
    try:
        from unspin.discovery.neural import default_neural_lm
    except ImportError as error:  # numpy or llama_cpp missing
        raise InputError(INSTALL_HINT) from error
    try:
        return default_neural_lm()
    except ImportError as error:
        raise InputError(str(error)) from error


def tagger_for(config: Config) -> tagger_module.Tagger:
    """The tagger `config` names, or an InputError naming the extra to install (the base
    encoder missing) or saying the model file cannot be read."""
    try:
        return tagger_module.default_tagger(config.tagger_model)
    except ImportError as error:
        raise InputError(TAGGER_HINT) from error
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"cannot read the tagger model: {error}") from error


def _known_list(config: Config) -> KnownList:
    known = default_known_list()
    return known.without(config.known_exclude) if config.known_exclude else known


def _known_finding(text: str, tokens: Sequence[Token], m: KnownMatch) -> Finding:
    start, end = tokens[m.start].offset, tokens[m.stop - 1].end
    observed = text[start:end]
    p = m.phrase
    evidence = {"source": "known-list", "list": KNOWN_LIST_NAME, "tortured": p.tortured,
                "expected": p.expected, "nb_papers": p.nb_papers}
    if p.note:
        evidence["note"] = p.note
    conf = 0.9 if "unsure" in p.note else 0.99
    start, value = _with_article(
        text, tokens, m.start, start, end, match_case(observed, p.expected)
    )
    return Finding(start, end - start, text[start:end], "lexical", conf,
                   (Replacement(value, conf),), evidence)


def _link_evidence(link: Link, observed: str) -> dict[str, object]:
    """One link of a discovery finding: which sources give it, and how strongly."""
    item: dict[str, object] = {"original": link.original, "observed": observed,
                               "sources": source_names(link.sources)}
    if link.sources & LEXICON:
        item["synonyms_of_original"] = link.fanout
    else:  # GloVe or shape links carry their rank among the word's candidates
        item["candidate_rank"] = link.fanout
    return item


def _discovered_finding(
    text: str,
    tokens: Sequence[Token],
    p: Proposal,
    counts: Counter[str],
    lm: NGramLM,
    config: Config,
    odds: Sequence[float] | None,
    neural_name: str = "",
) -> Finding:
    start, end = tokens[p.start].offset, tokens[p.stop - 1].end
    observed = text[start:end]
    observed_words = [t.norm for t in tokens[p.start : p.stop]]
    original_words = p.original.split()
    echo = sum(counts[w] for w in set(original_words) - set(observed_words) - STOPWORDS)
    repeats = min(counts[w] for w in observed_words)
    unigram = sum(lm.logprob(w, ()) for w in original_words) - sum(
        lm.logprob(w, ()) for w in observed_words)
    evidence: dict[str, Any] = {
        "source": "discovery",
        "links": [
            _link_evidence(part.link, " ".join(t.norm for t in tokens[part.start : part.stop]))
            for part in p.parts
        ],
        "observed_logprob": round(p.observed_logprob, 3),
        "proposed_logprob": round(p.proposed_logprob, 3),
        "gain_log10": round(p.gain, 3),
        "score_log10": round(p.score, 3),
        "lm": FAST_LM_NAME if p.fast_gain is None else neural_name,
        "observed_fit_log10": round(p.observed_fit, 3),
        "frequency_gain_log10": round(unigram, 3),
        "case_pattern": next((part.anomaly for part in p.parts if part.anomaly), None),
        "original_elsewhere_in_text": echo,
        "observed_count_in_text": repeats,
    }
    if p.fast_gain is not None:
        evidence["fast_gain_log10"] = round(p.fast_gain, 3)
    if odds is not None:
        evidence["tagger"] = tagger_module.NAME
        evidence["tagger_log_odds"] = round(max(odds[p.start : p.stop]), 3)
    conf = confidence(finding_features(evidence), scorer_name(config), config.calibration)
    start, value = _with_article(
        text, tokens, p.start, start, end, match_case(observed, p.original)
    )
    return Finding(start, end - start, text[start:end], "lexical", conf,
                   (Replacement(value, conf),), evidence)


def _tagged_findings(
    text: str,
    tokens: Sequence[Token],
    odds: Sequence[float],
    free: list[bool],
    counts: Counter[str],
    config: Config,
) -> list[Finding]:
    """Findings without a replacement for runs of words the tagger is sure were swapped
    (log-odds >= `Config.tagger_alone`) where no candidate source proposed anything
    (`free`): located and explained, left for the reviewer to restore."""
    flagged = [free[k] and odds[k] >= config.tagger_alone and t.text.isalpha()
               and t.norm not in STOPWORDS for k, t in enumerate(tokens)]
    out: list[Finding] = []
    k = 0
    while k < len(tokens):
        if not flagged[k]:
            k += 1
            continue
        stop = k + 1
        while stop < len(tokens) and flagged[stop] and tokens[stop].joined:
            stop += 1
        start, end = tokens[k].offset, tokens[stop - 1].end
        evidence: dict[str, Any] = {
            "source": "discovery", "links": [], "tagger": tagger_module.NAME,
            "tagger_log_odds": round(max(odds[k:stop]), 3),
            "original_elsewhere_in_text": 0,
            "observed_count_in_text": min(counts[t.norm] for t in tokens[k:stop]),
        }
        conf = confidence(finding_features(evidence), scorer_name(config), config.calibration)
        out.append(Finding(start, end - start, text[start:end], "lexical", conf, (), evidence))
        k = stop
    return out


def _profile_finding(text: str, sent: Sequence[Token], o: Occurrence, confidence: float,
                     profile: Profile, path: str) -> Finding:
    """A finding for a profile phrase, with the counts and documents behind it."""
    start, end = sent[o.start].offset, sent[o.stop - 1].end
    entry = o.entry
    shown = ", ".join(entry.documents[:3])
    evidence: dict[str, Any] = {
        "source": "profile", "profile": profile.name or path, "profile_file": path,
        "observed": entry.observed, "original": o.original,
        "explanation": (f"the spinner wrote '{entry.observed}' for '{o.original}' "
                        f"{entry.originals[o.original]} times in its traced copies"
                        + (f" ({shown}{', ...' if len(entry.documents) > 3 else ''})"
                           if shown else "")),
        "originals": dict(sorted(entry.originals.items(), key=lambda kv: -kv[1])),
        "kept_in_traced_copies": entry.kept,
        "reference_count": entry.reference, "reference_words": profile.reference_words,
        "documents": list(entry.documents),
        "likelihood_ratio_log10": round(o.features[1], 3),
        "observed_logprob": round(o.observed_logprob, 3),
        "proposed_logprob": round(o.proposed_logprob, 3), "lm": FAST_LM_NAME,
        "document_evidence": round(o.features[-1], 3),
    }
    start, value = _with_article(text, sent, o.start, start, end,
                                 match_case(text[start:end], o.original))
    return Finding(start, end - start, text[start:end], "lexical", confidence,
                   (Replacement(value, confidence),), evidence)


def _profile_findings(text: str, sents: Sequence[Sequence[Token]], n_words: int,
                      config: Config) -> tuple[list[Finding], float]:
    """Findings of every profile `config` names at `Config.profile_min_confidence`, and
    the highest probability a profile gives that the document is its spinner's work."""
    lm = default_lm()
    found: list[Finding] = []
    document = 0.0
    for path in config.profiles:
        profile = load_profile(path)
        judged, spun = judge(occurrences(sents, profile, lm), n_words, profile)
        document = max(document, spun)
        found += [_profile_finding(text, sents[o.sentence], o, min(p, MAX_PROFILE_CONFIDENCE),
                                   profile, path)
                  for o, p in judged if p >= config.profile_min_confidence]
    found.sort(key=lambda f: -f.confidence)
    taken = Spans()
    kept = []
    for f in found:
        if not taken.overlaps(f.offset, f.end):
            taken.add(f.offset, f.end)
            kept.append(f)
    return kept, document


def _with_repairs(findings: list[Finding], repairs: list[Finding]) -> list[Finding]:
    """The repairs plus every finding none of them overlaps: a lexical finding on a
    damaged word would restore the damage, and the two must apply in one pass."""
    taken = Spans((r.offset, r.end) for r in repairs)
    return [*repairs, *(f for f in findings if not taken.overlaps(f.offset, f.end))]


def analyze(text: str, config: Config,
            progress: Callable[[int, int], None] | None = None) -> Report:
    """Find every suspicious span of `text` and score the document; `progress(done,
    total)` hears how many characters of the text discovery has read, sentence by
    sentence (a long document takes minutes: about 30 s per 500 kB)."""
    sents = sentences(text)
    n_words = sum(len(s) for s in sents)
    findings: list[Finding] = []
    weak: list[Finding] = []  # discovery findings before the confidence cut
    cut = 1.0
    if config.known_list:
        flat = [t for s in sents for t in s]
        findings.extend(_known_finding(text, flat, m) for m in _known_list(config).find(flat))
    profiled, profile_found = 0.0, False
    if config.profiles:
        learned, profiled = _profile_findings(text, sents, n_words, config)
        profile_found = bool(learned)
        taken = Spans((f.offset, f.end) for f in findings)
        findings.extend(f for f in learned if not taken.overlaps(f.offset, f.end))
    if config.discovery:
        lm, sources = default_lm(), sources_for(config)
        taken = Spans((f.offset, f.end) for f in findings)
        counts = Counter(t.norm for sent in sents for t in sent)
        neural = neural_scorer() if config.neural else None
        cut = confidence_cut(config)
        tagged = tagger_for(config).score(text, sents) if config.tagger else None
        for s, sent in enumerate(sents):
            odds = tagged[s] if tagged is not None else None
            if neural is None:
                proposals = propose(sent, lm, sources, config, odds=odds)
            else:
                raised = propose(sent, lm, sources, config, config.neural_raise, odds)
                proposals = rescore(
                    text, sent, raised, neural, config.neural_candidates, config.neural_context
                )
            free = [not taken.overlaps(t.offset, t.end) for t in sent]
            for p in proposals:
                f = _discovered_finding(text, sent, p, counts, lm, config, odds,
                                        neural.name if neural else "")
                if not taken.overlaps(f.offset, f.end):
                    weak.append(f)
                free[p.start : p.stop] = [False] * (p.stop - p.start)
            if odds is not None:
                weak += _tagged_findings(text, sent, odds, free, counts, config)
            if progress is not None and sent:
                progress(sent[-1].end, len(text))
    weak = in_context(weak, n_words, scorer_name(config), config.calibration)
    findings.extend(f for f in weak if f.confidence >= cut)
    if config.repair:
        findings = _with_repairs(findings, find_repairs(text))
    findings.sort(key=lambda f: f.offset)
    # Findings under the cut are not reported, but their sum still says "spun" or not.
    lexical = (f for f in findings if f.kind == "lexical")  # repairs are no spinning evidence
    read = [*lexical, *(f for f in weak if f.confidence < cut)]
    score = max(profiled, doc_score(read, n_words, config.calibration))
    why = signals(read, n_words, cut)
    if profile_found:
        why["profile_probability"] = profiled
    if score >= config.spun_threshold and findings:  # no accusation without a finding
        verdict = "spun"
    elif score < config.clean_threshold:
        verdict = "clean"
    else:
        verdict = "uncertain"
    return Report(score, verdict, tuple(findings), signals=why)
