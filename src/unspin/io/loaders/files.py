"""Finding the files of a path: a file or a directory searched in sorted order, by format."""

from __future__ import annotations

import os
from pathlib import PurePath

from unspin.core.errors import InputError
from unspin.io.inputs import (
    iter_jsonl,
    read_bytes,
)
from unspin.io.loaders.common import SUFFIXES, _File, _require, kind_of
from unspin.io.loaders.parquet import _parquet_file


def _files(path: str, direct: bool) -> list[_File]:
    """The files to read for `path`: itself, or those of the directory it names.

    With `direct`, also check up front what can be checked (readable, right type,
    extras installed) so that a usage error raises here.
    """
    if os.path.isdir(path):
        files = _walk(path)
        if not files:
            raise InputError(f"{path}: no documents in this directory (looked for "
                             f"{', '.join(SUFFIXES[:-1])} and {SUFFIXES[-1]} files)")
        for kind in sorted({file.kind for file in files}):
            _require(kind, next(file.path for file in files if file.kind == kind))
        return files
    if not direct:
        kind = kind_of(path)
        return [_File(os.path.basename(path), path, kind)] if kind else []
    read_bytes(path, limit=0)  # missing or unreadable: one line, now
    kind = kind_of(path)
    if kind is None:
        raise InputError(f"{path}: unsupported file type (need one of "
                         f"{', '.join(SUFFIXES)}, or a directory of them)")
    _require(kind, path)
    if kind == "jsonl":
        iter_jsonl(path)  # a binary file fails here
    elif kind == "parquet":
        _parquet_file(path)  # not Parquet, or no id/text columns
    return [_File(os.path.basename(path), path, kind)]


def _walk(root: str) -> list[_File]:
    """Every non-hidden file of a known kind under `root`, sorted by id."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            kind = kind_of(name)
            if kind and not name.startswith("."):
                file = os.path.join(folder, name)
                found.append(_File(PurePath(os.path.relpath(file, root)).as_posix(),
                                   file, kind))
    return sorted(found, key=lambda file: file.id)
