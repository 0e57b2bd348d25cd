"""The one configuration object every entry point takes (like ftfy's TextFixerConfig)."""

from __future__ import annotations

from dataclasses import dataclass, field

from unspin.core.errors import InputError


@dataclass(frozen=True, slots=True)
class Config:
    """Knobs of the engine; the defaults are the measured ones in docs/quality.md.

    Each field says what it trades off, so a user can move it knowingly.
    """

    known_list: bool = True
    """Match the shipped Problematic Paper Screener list. Cheap and near-certain;
    turn off only to measure discovery alone."""

    known_exclude: frozenset[str] = field(default_factory=frozenset)
    """Tortured phrases (lower-case) to leave out of the known list. The evaluation
    uses it to hold out PPS pairs so discovery is measured on phrases no list knows."""

    discovery: bool = True
    """Look for tortured phrases no list knows (reverse thesaurus + language model).
    Off: only the known list is used (faster, far lower recall)."""

    sources: frozenset[str] = frozenset(
        ("moby", "mythes", "wordnet", "pps-learned", "glove", "shape"))
    """Candidate sources discovery draws originals from (unspin.discovery.sources): the
    thesauri "moby", "mythes", "wordnet", the "pps-learned" maps, "glove" neighbours and
    "shape" (case-pattern rules). Fewer: faster, less recall; the evaluation switches
    off the source its spinner draws from."""

    glove_links: int = 10
    """GloVe neighbours tried per observed word, nearest first. More: more recall on
    spinners whose synonyms the thesauri lack, slower, more false candidates."""

    glove_min_similarity: float = 0.7
    """Least cosine similarity of a GloVe neighbour to be a candidate. Lower: more
    candidates (related words, not synonyms: "Monday" for "Tuesday")."""

    shape_bonus: float = 2.0
    """Evidence (log10) a spinner's case pattern adds to a span's candidates: a
    mid-sentence "Home windows" or "Financial institution" (names capitalise every
    word), an ALL-CAPS common word ("LAPTOP"). Higher: more such spans flagged."""

    profiles: tuple[str, ...] = ()
    """Spinner profiles (files `unspin learn` writes, `unspin.discovery.profile`): each
    flags the phrases a spinner was seen to write in its traced copies and restores the
    original it wrote them for, weighed by the profile's own calibrated models. More
    profiles: more spinners recognised, each adds its phrases' false flags."""

    profile_min_confidence: float = 0.9
    """Least calibrated probability (the profile's span model) for a profile phrase to be
    reported. The model is fitted on the traced copies and clean reference documents, so
    this is about the share of reported phrases that are swaps. Lower: more recall, more
    false accusations."""

    repair: bool = True
    """Report mechanical damage and scraping residue (`unspin.repair`) as findings of kind
    "mechanical"/"residue", applied by `restore` with the lexical ones. They never count
    towards the spun score. Off: lexical findings only."""

    min_gain: float = 0.5
    """What each change pays in the sentence decoder, in log10 units: a span is proposed
    only when the LM gain of the original over the observed wording plus the channel
    prior exceeds it. The confidence model then decides what is reported, so this only
    bounds what it sees. Higher: faster, fewer candidates reach it (fewer finds)."""

    channel_weight: float = 1.0
    """Weight of the channel prior, -log10(rank of the original among the span's
    candidates; most sources agreeing first). Higher: favours the candidates the sources
    rank first, cuts flags caused by frequent words ("be", "make") the LM always prefers."""

    length_penalty: float = 1.0
    """Extra evidence (log10) required per word an original is shorter than the observed
    phrase: a shorter sentence is always likelier under an LM ("managing director" <-
    "director"). Higher: fewer such false restores, misses "get admission to" <- "access"."""

    links: int = 60
    """Thesaurus originals tried per observed span, in the lexicon's order (most
    thesauri, then most frequent first). Fewer: faster, misses rare originals."""

    candidates: int = 4
    """Candidate originals per span kept for joint decoding (the best by their local
    score). Higher: slower, rarely more recall."""

    joint_slack: float = 4.0
    """How far below `min_gain` a candidate's local score (neighbours as written) may
    fall and still be decoded jointly with its neighbours. Spinners swap both words of
    a collocation ("counterfeit consciousness"), and neither swap alone looks wrong.
    Higher: more pairs found, slower, more false pairs."""

    beam: int = 8
    """Sentence hypotheses kept per word by the decoder. Higher: slower, rarely better."""

    neural: bool = False
    """Rescore the fast path's candidates with a neural causal LM (SmolLM2-135M on CPU,
    `pip install 'unspin[neural]'`). Sees the whole sentence, so it judges domain terms
    and picks the right original far better than the 3-gram LM, at a cost in speed
    (docs/how-it-works.md, step 4)."""

    neural_raise: float = 0.0
    """With `neural`, the change cost of the fast decoder (instead of `min_gain`): lower
    raises more candidates for the neural LM to judge (more recall, slower)."""

    neural_candidates: int = 3
    """With `neural`, candidate originals per raised span that the neural LM scores."""

    neural_context: int = 6
    """With `neural`, words after a span that the neural LM reads when judging it. More:
    slower, the change's effect on later words counted a little more fully."""

    tagger: bool = False
    """Read every word with the learned replaced-word tagger (unspin.discovery.tagger,
    `pip install 'unspin[tagger]'`): its log-odds make a word suspect to the decoder,
    raise its candidates' prior (`tagger_bonus`), enter the confidence model, and a word
    it is sure of with no candidate is reported without a replacement (`tagger_alone`).
    Slower than the default path (docs/speed.md; docs/how-it-works.md, "The replaced-word
    tagger")."""

    tagger_model: str = ""
    """With `tagger`, the path of a tagger fine-tuning (.npz, tools/train_tagger.py);
    empty: the shipped one (trained on all five spinners of tools/folds.py). The
    evaluation uses one per fold, never trained on the fold's spinner."""

    tagger_suspect: float = 0.0
    """With `tagger`, the least log-odds that makes a word suspect to the decoder even
    when the 3-gram LM finds it fits (`max_observed_logprob`). Lower: more words
    examined (slower, more false candidates for the confidence model to weigh)."""

    tagger_bonus: float = 0.5
    """With `tagger`, evidence (log10) a span's candidates gain per unit of the tagger's
    positive log-odds on it, as `shape_bonus` for case patterns. Higher: the decoder
    accepts candidates the 3-gram LM alone rejects ("fee" <- "commission")."""

    tagger_alone: float = 3.0
    """With `tagger`, the least log-odds for a word no candidate source explains to
    become a finding without a replacement (located, not restored); the confidence
    model still decides whether it is reported. Higher: fewer such findings."""

    max_observed_logprob: float = -2.2
    """A word whose log10 probability in context is above this fits too well to be
    suspected at all. Higher: more words examined (slower, a little more recall)."""

    min_confidence: float | None = None
    """Findings of the fast path below this confidence are dropped. None: the cut fitted
    with the confidence model, which keeps false flags on clean dev text near 0.5 per
    1,000 words (tools/calibrate.py prints the value for other budgets). Lower: more
    recall, more false accusations."""

    neural_min_confidence: float | None = None
    """The same cut for findings the neural LM rescored (its confidence model is fitted
    separately, so the cut for the same budget differs)."""

    calibration: str = ""
    """Path of a calibration file (confidence and document-score models with their cut,
    as tools/calibrate.py writes); empty: the shipped one. Lets a user refit the models
    on their own spinners; the evaluation fits one per fold."""

    spun_threshold: float = 0.8
    """Document score at or above which the verdict is "spun" (when at least one finding
    is reported: weak signals alone make a text "uncertain", never "spun")."""

    clean_threshold: float = 0.35
    """Document score below which the verdict is "clean"; in between is "uncertain".
    A document without findings scores about 0.30 (the dev base rate of spun documents
    the engine cannot see), so it is "clean"."""

    trace_min_score: float = 0.25
    """`trace`: least score a reference document needs to be reported as a source: its
    weighted share of the query's fingerprints times its number agreement squared
    (`unspin.trace.index`; a query that reads coherently as a spun passage of a document
    needs less: `unspin.trace.index.COHERENT`). Lower: excerpts of heavily spun copies found more
    often, and more unsourced texts matched to a document on the same story (calibrated
    on dev news by tools/eval_trace.py --split dev; see docs/quality.md, "Trace")."""

    trace_candidates: int = 20
    """`trace`: documents per query re-ranked by their full fingerprint overlap after the
    sampled look-up. More: slower queries, a little more recall on short excerpts."""

    max_chars: int = 5_000_000
    """Longest input accepted, in code points; longer input is refused, not truncated."""


def validate_text(text: str, config: Config) -> None:
    """Refuse input no check can be made on, with a one-line reason."""
    if not text.strip():
        raise InputError("input is empty")
    if len(text) > config.max_chars:
        raise InputError(f"input has {len(text):,} characters; the limit is {config.max_chars:,}")
