"""Corpus screening on Apache Spark: `unspin screen --engine spark`, `python -m unspin.spark`.

The Spark job maps the local engine's per-document function,
`unspin.rows.screen_document`, over the documents with `mapInArrow`: each Python
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
  writers (`unspin.outputs`: `.jsonl`, `.parquet`, `.csv`, `.html`), identical to what
  `unspin screen --engine local` writes for the same input. The screened rows are
  persisted by Spark and streamed to the driver partition by partition.
- a URI (`hdfs://`, `s3a://`, `file:///`...): a directory in Spark's own layout, written
  by the executors and replaced if it exists. `.jsonl`: part files `part-NNNNN-*.jsonl`,
  one JSON row a line, in input order across the part numbers; `.parquet`: the flat rows
  of `unspin.rows.flat_row` (zstd), part files in input order too.

Needs the `spark` extra (`pip install 'unspin[spark]'`: pyspark with pandas and pyarrow)
and Java 17 or newer; without them `screen_spark` raises `InputError` with a hint.
"""

from __future__ import annotations

import argparse
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

from unspin.config import Config
from unspin.errors import InputError
from unspin.inputs import emptiness, make_row, parse_row
from unspin.rows import flat_row, screen_document
from unspin.screening import ScreenSummary

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_HINT = "pip install 'unspin[spark]'"

JSONL_SUFFIXES = tuple(f"{name}{packed}" for name in (".jsonl", ".ndjson")
                       for packed in ("", ".gz", ".bz2"))
"""Names of the JSON Lines files Spark reads (compressed ones decompressed on the fly)."""

PARQUET_SUFFIXES = (".parquet",)

OTHER_SUFFIXES = (".txt", ".pdf", ".html", ".htm", ".docx", ".xml", ".warc", ".warc.gz")
"""Document formats only the local engine reads."""

DIRECTORY_SAMPLE = 1000
"""Files of an input directory looked at to tell its format."""

PARTITIONS_PER_CORE = 4
"""Slices of the corpus per core of the cluster (`spark.default.parallelism`): a few per
core so that a slow slice does not leave the other cores idle at the end."""

KEY = ("_input", "_file", "_block", "_row")
"""A document's place in the input: input number, file, start of its file block, and
a number increasing through the block."""

_ROWS_SCHEMA = ("status STRING, message STRING, id STRING, row STRING, text STRING, "
                "score DOUBLE, verdict STRING, n_findings LONG, top_phrases STRING, "
                "findings STRING, restored STRING")
"""What the map gives back per document: status "ok" (with the row as JSON text, or
its flat columns) or "skip" (with the message)."""

FLAT_COLUMNS = ("id", "score", "verdict", "n_findings", "top_phrases", "findings",
                "restored")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


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
        documents = _documents(spark, inputs)
        if not local_output:
            _reach(spark, output)
        slices = partitions or max(1, spark.sparkContext.defaultParallelism) * PARTITIONS_PER_CORE
        suffix = _suffix(output)
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


# --- checks -----------------------------------------------------------------------------


def require_spark() -> None:
    """Raise `InputError` with a hint if pyspark (with pandas and pyarrow) or Java is
    missing. Java is looked for as `$JAVA_HOME/bin/java`, else `java` on the PATH, as
    pyspark does."""
    try:
        import pandas  # noqa: F401  # mapInArrow needs them
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        why = f"{error.name} is missing" if error.name else _first_line(error)
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


def _suffix(path: str) -> str:
    """The lower-case extension of `path`'s last component ("" if none)."""
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return os.path.splitext(name)[1]


def is_uri(path: str) -> bool:
    """Whether `path` starts with a URI scheme (`hdfs://`, `file:///`...)."""
    return bool(_URI.match(path))


def _check_output(output: str, inputs: Sequence[str]) -> bool:
    """Check `output` before Spark starts; True if it is a file on the driver."""
    from unspin.outputs import FORMATS, check_output_path

    if is_uri(output):
        suffix = _suffix(output)
        if suffix not in (".jsonl", ".parquet"):
            raise InputError(f"{output}: a URI output must end in .jsonl or .parquet (Spark "
                             f"writes a directory there); {', '.join(FORMATS)} files can "
                             "be written to a local path")
        if output.rstrip("/") in (name.rstrip("/") for name in inputs):
            raise InputError(f"--output {output} is also an input; refusing to overwrite it")
        return False
    path = Path(output)
    check_output_path(path)
    target = path.resolve()
    for name in inputs:
        if is_uri(name):
            continue
        source = Path(name).resolve()
        if target == source or (source.is_dir() and target.is_relative_to(source)):
            raise InputError(f"--output {output} is an input or inside one; refusing to "
                             "write there")
    return True


# --- the session ------------------------------------------------------------------------


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
        raise InputError(f"could not start Spark ({_first_line(error)}); Spark needs Java 17+ "
                         "and a reachable master") from None


# --- reading ----------------------------------------------------------------------------


def _documents(spark: SparkSession, inputs: Sequence[str]) -> DataFrame:
    """The rows of every input as one frame: their place in the input (`KEY`) and a JSON
    Lines row as its raw `line`, a Parquet row as `id` and `text`."""
    from pyspark.sql import functions as F

    frames = []
    for number, path in enumerate(inputs):
        kind, directory = _input_kind(spark, path)
        reader = spark.read
        if directory:
            reader = reader.option("recursiveFileLookup", "true").option(
                "pathGlobFilter", _glob(JSONL_SUFFIXES if kind == "jsonl" else PARQUET_SUFFIXES))
        try:
            if kind == "jsonl":
                frame = reader.option("lineSep", "\n").text(path)
                payload = [F.col("value").cast("binary").alias("line"),
                           F.lit(None).cast("string").alias("id"),
                           F.lit(None).cast("string").alias("text")]
            else:
                frame = reader.parquet(path)
                payload = [F.lit(None).cast("binary").alias("line"),
                           *_parquet_columns(path, frame)]
        except InputError:
            raise
        except Exception as error:  # AnalysisException: unreadable, not Parquet...
            raise InputError(f"{path}: cannot read ({_first_line(error)})") from None
        frames.append(frame.select(
            F.lit(number).alias("_input"), F.col("_metadata.file_path").alias("_file"),
            F.col("_metadata.file_block_start").alias("_block"),
            F.monotonically_increasing_id().alias("_row"), *payload))
    return functools.reduce(lambda a, b: a.union(b), frames)


def _reach(spark: SparkSession, output: str) -> None:
    """Raise `InputError` if the file system of a URI output cannot be reached, before
    the documents are screened rather than after."""
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    path = jvm.org.apache.hadoop.fs.Path(output)
    try:
        path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path)  # type: ignore[attr-defined]
    except Exception as error:
        raise InputError(f"{output}: cannot reach its file system ({_first_line(error)})"
                         ) from None


def _glob(suffixes: Sequence[str]) -> str:
    return "*{" + ",".join(suffixes) + "}"


def _parquet_columns(path: str, frame: DataFrame) -> list[Any]:
    """`id` (a string or integer column, as a string) and `text` (a string column)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegralType, StringType

    fields = {field.name: field.dataType for field in frame.schema.fields}
    missing = [name for name in ("id", "text") if name not in fields]
    if missing:
        raise InputError(f"{path}: no {' or '.join(repr(m) for m in missing)} column "
                         "(need columns 'id' and 'text')")
    if not isinstance(fields["id"], StringType | IntegralType):
        raise InputError(f"{path}: column 'id' is {fields['id'].simpleString()}; need a "
                         "string or an integer")
    if not isinstance(fields["text"], StringType):
        raise InputError(f"{path}: column 'text' is {fields['text'].simpleString()}; need "
                         "a string")
    return [F.col("id").cast("string").alias("id"), F.col("text")]


def _input_kind(spark: SparkSession, path: str) -> tuple[str, bool]:
    """("jsonl" or "parquet", whether `path` is a directory), or `InputError`."""
    name = path.rstrip("/").lower()
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    try:
        fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
        statuses = fs.globStatus(hadoop_path)
    except Exception as error:
        raise InputError(f"{path}: cannot read ({_first_line(error)})") from None
    if not statuses:
        raise InputError(f"{path}: no such file or directory")
    if len(statuses) == 1 and statuses[0].isDirectory() and not name.endswith(".parquet"):
        return _directory_kind(path, fs, statuses[0].getPath()), True
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl", False
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet", False  # a Parquet file, or a Spark directory of part files
    raise InputError(_unsupported(path, "this file type"))


def _directory_kind(path: str, fs: Any, root: Any) -> str:
    """The format of the data files of a directory: all JSON Lines or all Parquet."""
    kinds = set()
    files = fs.listFiles(root, True)
    for _ in range(DIRECTORY_SAMPLE):
        if not files.hasNext():
            break
        status = files.next()
        relative = str(status.getPath().toUri().getPath())[len(str(root.toUri().getPath())):]
        if any(part.startswith(("_", ".")) for part in relative.split("/") if part):
            continue  # hidden, as Spark sees it (_SUCCESS, .crc files)
        name = status.getPath().getName().lower()
        if name.endswith(JSONL_SUFFIXES):
            kinds.add("jsonl")
        elif name.endswith(PARQUET_SUFFIXES):
            kinds.add("parquet")
        elif name.endswith(OTHER_SUFFIXES):
            kinds.add("other")
    if kinds == {"jsonl"} or kinds == {"parquet"}:
        return kinds.pop()
    if not kinds:
        raise InputError(f"{path}: no .jsonl or .parquet files in this directory")
    raise InputError(_unsupported(path, "a directory of other files" if kinds == {"other"}
                                  else "a directory of mixed formats"))


def _unsupported(path: str, what: str) -> str:
    return (f"{path}: --engine spark reads JSON Lines (.jsonl, .ndjson) and Parquet files "
            f"and directories of one of them, not {what}; use --engine local, or convert "
            "the documents to JSON Lines or Parquet first")


# --- the map, in the Python workers ------------------------------------------------------


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
    try:
        row = screen_document(doc_id, text, restore=restore, config=config)
    except InputError as error:
        return "skip", f"{doc_id}: {error}", doc_id, None, None
    except Exception as error:  # a bug on one document must not sink a corpus run
        return ("skip", f"{doc_id}: internal error: {type(error).__name__}: {error}", doc_id,
                None, None)
    return "ok", None, doc_id, row, text


def _place(file: str) -> str:
    """How a row's file is named in a message: a local path for `file:` URIs."""
    if file.startswith("file:"):
        return unquote(re.sub(r"^file:(//)?", "", file))
    return file


# --- writing ----------------------------------------------------------------------------


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
        elif _suffix(output) == ".jsonl":
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
    from unspin.outputs import open_output

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


class SparkJobError(RuntimeError):
    """The Spark job failed (a worker crashed, the cluster went away...): one line."""


def _job_error(error: Exception) -> Exception:
    """A failed job as one line: `InputError` when the workers' Python lacks a module
    (unspin not shipped to the cluster), else `SparkJobError` with the likeliest cause."""
    text = str(error)
    missing = re.findall(r"ModuleNotFoundError: No module named '([\w.]+)'", text)
    if missing:
        return InputError(f"the Spark workers' Python cannot import {missing[-1]}: install "
                          "unspin there or ship it in a packed environment (README: "
                          "\"Screening on Spark\")")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    causes = [line for line in lines if re.match(r"^[\w.$]+(Error|Exception)\b", line)
              and not line.startswith(("py4j", "at "))]
    cause = causes[-1] if causes else _first_line(error)
    return SparkJobError(f"Spark job failed: {_shorten(cause)}")


def _shorten(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."


def _first_line(error: BaseException) -> str:
    """The first meaningful line of a (Java) error message, cut short."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


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

    def skip(message: str) -> None:
        print(f"unspin: {message}, skipped", file=sys.stderr)

    try:
        conf = dict(_setting(item) for item in args.conf)
        summary = screen_spark(args.inputs, args.output, args.master, args.restore,
                               Config(neural=args.neural, tagger=args.tagger), skip=skip,
                               partitions=args.partitions, conf=conf)
    except InputError as error:
        print(f"unspin: error: {error}", file=sys.stderr)
        return 2
    except SparkJobError as error:
        print(f"unspin: error: {error}", file=sys.stderr)
        return 1
    print(f"screened {summary.written} documents, skipped {summary.skipped}", file=sys.stderr)
    return 0


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
