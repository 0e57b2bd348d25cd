"""Screening a corpus: one result row per document, on one machine or on Spark.

- `document`: the one pure per-document function (`screen_document`, `screen_one`) that
  every engine maps, so all of them give identical rows;
- `local`: `screen_corpus`, the local engine (a process pool, input order kept);
- `spark_inputs` and `spark_job`: `screen_spark`, the same function mapped over a Spark
  cluster (`unspin.spark` is its program and library entry).
"""

from unspin.screening.document import screen_document, screen_one
from unspin.screening.local import ScreenSummary, default_jobs, screen_corpus

__all__ = ["ScreenSummary", "default_jobs", "screen_corpus", "screen_document", "screen_one"]
