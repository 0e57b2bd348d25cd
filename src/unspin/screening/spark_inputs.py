"""The Spark job's inputs: JSON Lines and Parquet files or directories, as one frame of rows
in input order.

Spark reads the files (local paths or URIs); each row keeps its place (`KEY`: input
number, file, file block, row) so that the job can sort the screened rows back into
input order. Other formats are refused with a hint to use the local engine.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from unspin.core.errors import InputError
from unspin.io.loaders.common import MULTI_KINDS, SUFFIXES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

PACKED = ("", ".gz", ".bz2")
"""Compressions Spark decompresses on the fly when it reads a text file."""

JSONL_SUFFIXES = tuple(f"{suffix}{packed}" for suffix, kind in MULTI_KINDS.items()
                       if kind == "jsonl" for packed in PACKED)
"""Names of the JSON Lines files Spark reads (compressed ones decompressed on the fly)."""

PARQUET_SUFFIXES = tuple(suffix for suffix, kind in MULTI_KINDS.items() if kind == "parquet")

OTHER_SUFFIXES = tuple(suffix for suffix in SUFFIXES
                       if suffix not in JSONL_SUFFIXES + PARQUET_SUFFIXES)
"""Document formats only the local engine reads."""

DIRECTORY_SAMPLE = 1000
"""Files of an input directory looked at to tell its format."""

KEY = ("_input", "_file", "_block", "_row")
"""A document's place in the input: input number, file, start of its file block, and
a number increasing through the block."""

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def suffix_of(path: str) -> str:
    """The lower-case extension of `path`'s last component ("" if none)."""
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return os.path.splitext(name)[1]


def is_uri(path: str) -> bool:
    """Whether `path` starts with a URI scheme (`hdfs://`, `file:///`...)."""
    return bool(_URI.match(path))


# --- reading ------------------------------------------------------------------


def read_documents(spark: SparkSession, inputs: Sequence[str]) -> DataFrame:
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
            raise InputError(f"{path}: cannot read ({first_line(error)})") from None
        frames.append(frame.select(
            F.lit(number).alias("_input"), F.col("_metadata.file_path").alias("_file"),
            F.col("_metadata.file_block_start").alias("_block"),
            F.monotonically_increasing_id().alias("_row"), *payload))
    return functools.reduce(lambda a, b: a.union(b), frames)


def reach(spark: SparkSession, output: str) -> None:
    """Raise `InputError` if the file system of a URI output cannot be reached, before
    the documents are screened rather than after."""
    jvm = spark.sparkContext._jvm  # type: ignore[attr-defined]
    path = jvm.org.apache.hadoop.fs.Path(output)
    try:
        path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path)  # type: ignore[attr-defined]
    except Exception as error:
        raise InputError(f"{output}: cannot reach its file system ({first_line(error)})"
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
        raise InputError(f"{path}: cannot read ({first_line(error)})") from None
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
            "the documents to JSON Lines first (unspin extract INPUT... -o docs.jsonl)")


# --- errors -------------------------------------------------------------------


def shorten(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "..."


def first_line(error: BaseException) -> str:
    """The first meaningful line of a (Java) error message, cut short."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return shorten(lines[0] if lines else type(error).__name__)
