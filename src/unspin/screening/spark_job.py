"""The Spark job: `screen_spark` maps `unspin.screening.document.screen_one` over the
documents with `mapInArrow` and writes the rows (see `unspin.spark` for what goes in and
out).
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from unspin.core.config import Config
from unspin.core.errors import InputError, JobError
from unspin.io.inputs import emptiness, make_row, parse_row
from unspin.io.outputs.rows import flat_row
from unspin.screening.document import screen_one
from unspin.screening.local import ScreenSummary
from unspin.screening.spark_inputs import (
    KEY,
    first_line,
    is_uri,
    reach,
    read_documents,
    shorten,
    suffix_of,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_HINT = "pip install 'unspin[spark]'"

PARTITIONS_PER_CORE = 4
"""Slices of the corpus per core of the cluster (`spark.default.parallelism`): a few per
core so that a slow slice does not leave the other cores idle at the end."""

_ROWS_SCHEMA = ("status STRING, message STRING, id STRING, row STRING, text STRING, "
                "score DOUBLE, verdict STRING, n_findings LONG, top_phrases STRING, "
                "findings STRING, restored STRING")
"""What the map gives back per document: status "ok" (with the row as JSON text, or
its flat columns) or "skip" (with the message)."""

FLAT_COLUMNS = ("id", "score", "verdict", "n_findings", "top_phrases", "findings",
                "restored")


def screen_spark(inputs: Sequence[str], output: str, master: str | None = None,
                 restore: bool = False, config: Config | None = None, *,
                 skip: Callable[[str], None] | None = None, partitions: int | None = None,
                 conf: Mapping[str, str] | None = None) -> ScreenSummary:
    """Screen every document of `inputs` into `output` with Spark, one result row per
    document, in input order (see the module's doc for the inputs and outputs).

    `master` is the Spark master URL ("local[2]", "yarn", "spark://host:7077"); None
    keeps the one `spark-submit` gave, or "local[*]". An active SparkSession is reused
    (and left running); otherwise one is started with the `conf` settings and stopped at
    the end. `partitions` is the number of corpus slices (default: `PARTITIONS_PER_CORE`
    per core). Each skipped document's message ("FILE: problem" for a row the reader
    refuses, "ID: problem" for one the check refuses) goes to `skip`, in input order,
    once the job is done.

    Raises `InputError` when pyspark or Java is missing, for an output or input format
    Spark cannot handle, a missing input and an output that is one of the inputs,
    before any document is screened.
    """
    config = config or Config()
    if partitions is not None and partitions < 1:
        raise InputError(f"partitions must be at least 1, not {partitions}")
    if not inputs:
        raise InputError("no input given")
    local_output = _check_output(output, inputs)
    spark, started = _session(master, conf or {})
    try:
        documents = read_documents(spark, inputs)
        if not local_output:
            reach(spark, output)
        slices = partitions or max(1, spark.sparkContext.defaultParallelism) * PARTITIONS_PER_CORE
        suffix = suffix_of(output)
        mapper = functools.partial(_screen_batches, restore=restore, config=config,
                                   flat=not local_output and suffix == ".parquet",
                                   keep_text=local_output and suffix == ".html")
        rows = (documents.repartitionByRange(slices, *KEY).sortWithinPartitions(*KEY)
                .mapInArrow(mapper, _ROWS_SCHEMA))
        try:
            return _write(spark, rows, output, local_output, skip)
        except Exception as error:
            if type(error).__module__.startswith(("py4j", "pyspark")):
                raise _job_error(error) from None
            raise
    finally:
        if started:
            spark.stop()


# --- checks -------------------------------------------------------------------


def require_spark() -> None:
    """Raise `InputError` with a hint if pyspark (with pandas and pyarrow) or Java is
    missing. Java is looked for as `$JAVA_HOME/bin/java`, else `java` on the PATH, as
    pyspark does."""
    try:
        import pandas  # noqa: F401  # mapInArrow needs them
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        why = f"{error.name} is missing" if error.name else first_line(error)
        raise InputError(f"--engine spark needs pyspark, pandas and pyarrow ({why}): "
                         f"{SPARK_HINT}") from None
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        if not os.access(os.path.join(java_home, "bin", "java"), os.X_OK):
            raise InputError(f"--engine spark needs Java 17+: JAVA_HOME={java_home} has no "
                             "bin/java")
    elif shutil.which("java") is None:
        raise InputError("--engine spark needs Java 17+: no java on the PATH (install a "
                         "JDK, e.g. apt-get install openjdk-17-jre-headless, or set "
                         "JAVA_HOME)")


def _check_output(output: str, inputs: Sequence[str]) -> bool:
    """Check `output` before Spark starts; True if it is a file on the driver."""
    from unspin.io.outputs import FORMATS, check_output_path, refuse_overlap

    if is_uri(output):
        suffix = suffix_of(output)
        if suffix not in (".jsonl", ".parquet"):
            raise InputError(f"{output}: a URI output must end in .jsonl or .parquet (Spark "
                             f"writes a directory there); {', '.join(FORMATS)} files can "
                             "be written to a local path")
        if output.rstrip("/") in (name.rstrip("/") for name in inputs):
            raise InputError(f"--output {output} is also an input; refusing to overwrite it")
        return False
    path = Path(output)
    check_output_path(path)
    refuse_overlap(path, [name for name in inputs if not is_uri(name)])
    return True

# --- the session --------------------------------------------------------------


LOCAL_DRIVER_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"
"""JVM options of a local-mode session started here (unless `conf` sets its own): the
quick JIT tier only. The JVM only moves documents in this job, and the optimizing
compiler's warm-up (about 10 CPU-seconds) competes with the Python workers for the
cores of a small machine."""


def _session(master: str | None, conf: Mapping[str, str]) -> tuple[SparkSession, bool]:
    """The active SparkSession, or a new one; True if it was started here."""
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    return start_session(master, conf), True


def start_session(master: str | None = None, conf: Mapping[str, str] | None = None
                  ) -> SparkSession:
    """A new SparkSession as `screen_spark` starts one when none is active.

    `master` (default: the one `spark-submit` set, or "local[*]") and the `conf`
    settings are applied. In local mode the Python workers run this interpreter (pyspark
    would take `python3` from the PATH) unless `PYSPARK_PYTHON` or `spark.pyspark.python`
    says otherwise, and the driver JVM gets `LOCAL_DRIVER_JAVA_OPTIONS`. `InputError`
    (one line) if pyspark or Java is missing or Spark cannot start.
    """
    require_spark()
    from pyspark.sql import SparkSession

    conf = dict(conf or {})
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not started by spark-submit
        master = master or conf.get("spark.master") or "local[*]"
        if master.startswith("local"):
            if "spark.pyspark.python" not in conf:
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            conf.setdefault("spark.driver.extraJavaOptions", LOCAL_DRIVER_JAVA_OPTIONS)
    builder = SparkSession.builder.appName("unspin screen")
    if master:
        builder = builder.master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:
        raise InputError(f"could not start Spark ({first_line(error)}); Spark needs Java 17+ "
                         "and a reachable master") from None


# --- the map, in the Python workers -------------------------------------------


def _screen_batches(batches: Iterator[Any], *, restore: bool, config: Config, flat: bool,
                    keep_text: bool) -> Iterator[Any]:
    """mapInArrow: each document of the batches (`KEY`, `line`, `id`, `text`) as one row of
    `_ROWS_SCHEMA`, in order; blank JSON Lines lines give no row, as locally."""
    import pyarrow as pa

    for batch in batches:
        files = batch.column("_file").to_pylist()
        lines = batch.column("line").to_pylist()
        ids = batch.column("id").to_pylist()
        texts = batch.column("text").to_pylist()
        out: dict[str, list[Any]] = {name: [] for name in (
            "status", "message", "id", "row", "text", *FLAT_COLUMNS[1:])}
        for file, line, row_id, text in zip(files, lines, ids, texts, strict=True):
            result = _screen_entry(_place(file), line, row_id, text, restore, config)
            if result is None:
                continue
            status, message, doc_id, row, source = result
            out["status"].append(status)
            out["message"].append(message)
            out["id"].append(doc_id)
            flat_values = flat_row(row) if flat and row is not None else {}
            out["row"].append(json.dumps(row, ensure_ascii=False)
                              if row is not None and not flat else None)
            out["text"].append(source if keep_text and row is not None else None)
            for name in FLAT_COLUMNS[1:]:
                out[name].append(flat_values.get(name))
        yield pa.RecordBatch.from_pydict(out, schema=_arrow_rows_schema())


@functools.cache
def _arrow_rows_schema() -> Any:
    import pyarrow as pa

    return pa.schema([
        ("status", pa.string()), ("message", pa.string()), ("id", pa.string()),
        ("row", pa.string()), ("text", pa.string()), ("score", pa.float64()),
        ("verdict", pa.string()), ("n_findings", pa.int64()), ("top_phrases", pa.string()),
        ("findings", pa.string()), ("restored", pa.string())])


def _screen_entry(place: str, line: bytes | None, row_id: str | None, text: str | None,
                  restore: bool, config: Config
                  ) -> tuple[str, str | None, str | None, dict[str, Any] | None, str | None] | None:
    """(status, message, id, row, text) of one input row; None for a blank line."""
    if line is not None:
        line = line.removeprefix(codecs.BOM_UTF8)
        if not line.strip():
            return None
        parsed = parse_row(line)
    else:
        parsed = make_row(row_id, text)
    if isinstance(parsed, InputError):
        return "skip", f"{place}: {parsed}", None, None, None
    doc_id, text = parsed["id"], parsed["text"]
    problem = emptiness(text)
    if problem:
        return "skip", f"{place}: id {doc_id}: {problem}", doc_id, None, None
    row = screen_one(doc_id, text, restore, config)
    if isinstance(row, str):
        return "skip", f"{doc_id}: {row}", doc_id, None, None
    return "ok", None, doc_id, row, text


def _place(file: str) -> str:
    """How a row's file is named in a message: a local path for `file:` URIs."""
    if file.startswith("file:"):
        return unquote(re.sub(r"^file:(//)?", "", file))
    return file


# --- writing ------------------------------------------------------------------


def _write(spark: SparkSession, rows: DataFrame, output: str, local_output: bool,
           skip: Callable[[str], None] | None) -> ScreenSummary:
    """Run the job: screen, report the skipped documents, write the output."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = {status: count for status, count in
                  rows.groupBy("status").count().collect()}  # screens every document
        summary = ScreenSummary(written=counts.get("ok", 0), skipped=counts.get("skip", 0))
        if summary.skipped and skip is not None:
            for record in rows.filter(F.col("status") == "skip").select(
                    "message").toLocalIterator():
                skip(record.message)
        done = rows.filter(F.col("status") == "ok")
        if local_output:
            _write_local(done, Path(output), summary)
        elif suffix_of(output) == ".jsonl":
            done.select("row").write.mode("overwrite").text(output)
            _rename_parts(spark, output, ".txt", ".jsonl")
        else:
            done.select(*FLAT_COLUMNS).write.mode("overwrite").option(
                "compression", "zstd").parquet(output)
        return summary
    finally:
        rows.unpersist()


def _write_local(rows: DataFrame, output: Path, summary: ScreenSummary) -> None:
    """Stream the rows to the driver, in order, into the local engine's writer."""
    from unspin.io.outputs import open_output

    with open_output(output) as writer:
        for record in rows.select("row", "text").toLocalIterator(prefetchPartitions=True):
            writer.write(json.loads(record.row), record.text or "")
        writer.skipped = summary.skipped


def _rename_parts(spark: SparkSession, directory: str, old: str, new: str) -> None:
    """Rename the part files of a Spark output directory from `old` to `new` suffix."""
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    root = jvm.org.apache.hadoop.fs.Path(directory)
    fs = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    for status in fs.listStatus(root):
        path = status.getPath()
        name = path.getName()
        if name.startswith("part-") and name.endswith(old):
            fs.rename(path, jvm.org.apache.hadoop.fs.Path(
                root, name[: -len(old)] + new))


# --- errors -------------------------------------------------------------------


class SparkJobError(JobError):
    """The Spark job failed (a worker crashed, the cluster went away...): one line."""


def _job_error(error: Exception) -> Exception:
    """A failed job as one line: `InputError` when the workers' Python lacks a module
    (unspin not shipped to the cluster), else `SparkJobError` with the likeliest cause."""
    text = str(error)
    missing = re.findall(r"ModuleNotFoundError: No module named '([\w.]+)'", text)
    if missing:
        return InputError(f"the Spark workers' Python cannot import {missing[-1]}: install "
                          "unspin there or ship it in a packed environment (docs/commands.md: "
                          "\"Screening on Spark\")")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    causes = [line for line in lines if re.match(r"^[\w.$]+(Error|Exception)\b", line)
              and not line.startswith(("py4j", "at "))]
    cause = causes[-1] if causes else first_line(error)
    return SparkJobError(f"Spark job failed: {shorten(cause)}")
