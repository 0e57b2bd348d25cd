# One entry point per job; each creates or reuses .venv at the repo root.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared/data
RESULTS := docs/results
# eval and bench keep what they print in $(RESULTS)/, headed by the date and commit: the
# figures in README.md and docs/ are copied from there (tests/test_docs.py checks).
SHELL := /bin/bash
RECORD = set -o pipefail; mkdir -p $(RESULTS); { echo "\# make $@, $$(date -u +%F), commit $$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"; echo
SAVE = } | tee $(RESULTS)/$@.txt.part && mv $(RESULTS)/$@.txt.part $(RESULTS)/$@.txt

.PHONY: demo test eval eval-neural tagger tagger-eval eval-tagger bench bench-trace-1m bench-neural bench-spark neural lint lexicon calibrate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,formats,spark,serve,tagger]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/unspin check examples/spun_news.txt; test $$? -le 1
	$(BIN)/unspin check examples/spun_abstract.txt; test $$? -le 1

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests tools

eval: $(STAMP)
	$(RECORD); \
	  $(BIN)/python tools/eval.py --data $(SHARED) --n 100 && \
	  $(BIN)/python tools/eval_trace.py --data $(SHARED) && \
	  $(BIN)/python tools/eval_repair.py --data $(SHARED) && \
	  $(BIN)/python tools/eval_learn.py --data $(SHARED); \
	$(SAVE)

bench: $(STAMP)
	$(RECORD); \
	  $(BIN)/python tools/bench.py && \
	  $(BIN)/python tools/bench_scale.py && \
	  $(BIN)/python tools/bench_trace.py && \
	  $(BIN)/python tools/bench_serve.py && \
	  $(BIN)/python tools/bench_learn.py --data $(SHARED); \
	$(SAVE)

# The README's 1M-document trace figure (about half an hour, a few GB in the temp dir).
bench-trace-1m: $(STAMP)
	$(RECORD); $(BIN)/python tools/bench_trace.py --docs 1000000; $(SAVE)

# The Spark engine against the local one on 10,000 documents (a few minutes; needs Java 17+).
bench-spark: $(STAMP)
	$(RECORD); $(BIN)/python tools/bench_spark.py; $(SAVE)

# The optional neural path (compiles llama.cpp on first install: several minutes).
neural: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[neural]'

# The precise path on the two worst folds, its models refitted per fold (about 50 minutes).
eval-neural: neural
	$(RECORD); $(BIN)/python tools/eval.py --data $(SHARED) --n 20 --train-n 40 --folds moby,glove \
	  --set neural=true; $(SAVE)

bench-neural: neural
	$(RECORD); $(BIN)/python tools/bench_neural.py; $(SAVE)

# The replaced-word tagger, leave-one-source-out: one model per set of training spinners
# (about 8 minutes each on 2 cores; mythes, wordnet and phrase share theirs), then each
# fold's word-level figures.
tagger-eval: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[train]'
	for fold in glove moby mythes; do \
	  $(BIN)/python tools/train_tagger.py --data $(SHARED) --against $$fold \
	    --out build/tagger-$$fold.npz || exit 1; \
	done
	$(RECORD); for fold in moby mythes wordnet glove phrase; do \
	  $(BIN)/python tools/eval_tagger.py --data $(SHARED) --fold $$fold --n 60 || exit 1; \
	done; $(SAVE)

# The tagger path leave-one-source-out: each fold read by a tagger never trained on its
# spinner (build/tagger-*.npz from tagger-eval), its confidence model refitted per fold.
# Five folds: the dictionary fold's only trainer would be the glove spinner, and no
# tagger is trained on that alone.
eval-tagger: $(STAMP)
	$(RECORD); $(BIN)/python tools/eval.py --data $(SHARED) --n 100 --set tagger=true \
	  --folds moby,mythes,wordnet,glove,phrase; $(SAVE)

# The shipped tagger: trained on all five spinners (about 10 minutes), then its
# confidence model ("fast+tagger" in data/calibration.json).
tagger: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python tools/train_tagger.py --data $(SHARED) \
	  --folds moby mythes wordnet glove phrase --steps 2000 --out src/unspin/data/tagger.npz
	$(BIN)/python tools/calibrate.py --data $(SHARED) --tagger

# Rebuild the shipped data files (needs apt packages mythes-en-us and wordnet-base).
lexicon: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[build]'
	$(BIN)/python tools/build_lexicon.py
	$(BIN)/python tools/build_neighbours.py
	$(BIN)/python tools/build_words.py
	$(BIN)/python tools/build_known.py --pps $(SHARED)/tortured/pps_pairs.dev.csv --data $(SHARED)
	$(BIN)/python tools/learn_maps.py --data $(SHARED)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
