"""Discovery of tortured phrases no list knows, as a pipeline of small parts.

- `sources`: candidate originals for an observed span, behind one call, from the
  thesauri and learned maps (`unspin.discovery.lexicon`), GloVe neighbours (`neighbours`) and
  case-pattern rules (`shapes`); `Config.sources` switches each on or off.
- `decoder`: the 3-gram sentence decoder that picks the likeliest wording (the scorer
  of the fast path) and turns runs of changes into proposals.
- `rescore`: the precise path's neural LM judging the decoder's proposals.
- `tagger`: a learned replaced-word detector (MiniLM fine-tuned by tools/train_tagger.py)
  that needs no candidate; with `Config.tagger` its log-odds guide the decoder, enter the
  confidence model, and locate sure words no source explains (unspin.pipeline.engine).
The confidence model that decides which proposals are reported is `unspin.pipeline.score`.
"""
