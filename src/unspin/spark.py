"""Corpus screening on Apache Spark: `unspin screen --engine spark`, `python -m unspin.spark`.

The Spark job maps the local engine's per-document function,
`unspin.screening.document.screen_one`, over the documents with `mapInArrow`: each Python
worker loads the models on its first document and keeps them for every later task (Spark
reuses its Python workers), and the rows are the ones the local engine writes.

Inputs are what Spark reads natively: JSON Lines (`.jsonl`, `.ndjson`, optionally `.gz`
or `.bz2` compressed) and Parquet (columns `id` and `text`) files, or directories of
them (a Spark output directory, say), as local paths or URIs (`hdfs://`, `s3a://`...).
A path without a scheme is resolved by Spark: a local file in local mode, the cluster's
default file system (HDFS, usually) on a cluster. JSON Lines rows are parsed in the
worker exactly as the local engine parses them, so the same rows are skipped; other
formats (text, PDF, HTML... files) are refused with a hint to use the local engine or
convert them first.

Documents keep their input order: every row carries its input's number, its file, the
start of its file block and its place in that block; the documents are range-partitioned
and sorted on that key before the map, so partition `k` holds the `k`-th slice of the
corpus, in order, and the screened rows come out in input order.

Where the rows go depends on `output`:

- a plain path (no `scheme://`): one file on the driver, written by the local engine's
  writers (`unspin.io.outputs`: `.jsonl`, `.parquet`, `.csv`, `.html`), identical to what
  `unspin screen --engine local` writes for the same input. The screened rows are
  persisted by Spark and streamed to the driver partition by partition.
- a URI (`hdfs://`, `s3a://`, `file:///`...): a directory in Spark's own layout, written
  by the executors and replaced if it exists. `.jsonl`: part files `part-NNNNN-*.jsonl`,
  one JSON row a line, in input order across the part numbers; `.parquet`: the flat rows
  of `unspin.io.outputs.rows.flat_row` (zstd), part files in input order too.

Needs the `spark` extra (`pip install 'unspin[spark]'`: pyspark with pandas and pyarrow)
and Java 17 or newer; without them `screen_spark` raises `InputError` with a hint.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from unspin.cli.terminal import EXIT_JOB_FAILED, EXIT_OK, fail, report_skip
from unspin.core.config import Config
from unspin.core.errors import InputError
from unspin.screening.spark_job import (
    LOCAL_DRIVER_JAVA_OPTIONS,
    PARTITIONS_PER_CORE,
    SPARK_HINT,
    SparkJobError,
    require_spark,
    screen_spark,
    start_session,
)

__all__ = ["LOCAL_DRIVER_JAVA_OPTIONS", "PARTITIONS_PER_CORE", "SPARK_HINT", "SparkJobError",
           "main", "require_spark", "screen_spark", "start_session"]


# --- python -m unspin.spark -------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m unspin.spark INPUT... --output OUT [--master URL] [--restore] [--neural]
    [--tagger] [--partitions N] [--conf KEY=VALUE]...`: the Spark job as a program, for
    `spark-submit` or a plain Python run. Exit status 0 done, 1 the Spark job failed,
    2 usage or input error."""
    parser = argparse.ArgumentParser(
        prog="python -m unspin.spark",
        description="Screen a corpus on Spark: one result row per document "
                    "(unspin screen --engine spark).")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="JSON Lines or Parquet files or directories (local paths, "
                             "hdfs://, s3a://...)")
    parser.add_argument("-o", "--output", required=True,
                        help="a local OUT.{jsonl,parquet,csv,html} file, or a URI ending in "
                             ".jsonl or .parquet (a Spark directory)")
    parser.add_argument("--master", help="Spark master URL (default: spark-submit's, or "
                                         "local[*])")
    parser.add_argument("--restore", action="store_true",
                        help='add each document\'s restored text as "restored"')
    parser.add_argument("--neural", action="store_true",
                        help="rescore with the neural LM (the neural extra on every worker)")
    parser.add_argument("--tagger", action="store_true",
                        help="read every word with the tagger (the tagger extra on every worker)")
    parser.add_argument("--partitions", type=int, metavar="N",
                        help="corpus slices (default: 4 per core)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting for the session started here (repeatable)")
    args = parser.parse_args(argv)

    try:
        conf = dict(_setting(item) for item in args.conf)
        summary = screen_spark(args.inputs, args.output, args.master, args.restore,
                               Config(neural=args.neural, tagger=args.tagger), skip=report_skip,
                               partitions=args.partitions, conf=conf)
    except InputError as error:
        return fail(str(error))
    except SparkJobError as error:
        return fail(str(error), EXIT_JOB_FAILED)
    print(f"screened {summary.written} documents, skipped {summary.skipped}", file=sys.stderr)
    return EXIT_OK


def _setting(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise InputError(f"--conf {item!r}: need KEY=VALUE")
    return key.strip(), value


if __name__ == "__main__":
    # Run as a file (spark-submit .../unspin/spark.py): the package folder is on sys.path
    # first; drop it so that its modules cannot shadow top-level ones, and run the
    # package's own copy of this module (its functions are what the workers import).
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    from unspin.spark import main as _main

    sys.exit(_main())
