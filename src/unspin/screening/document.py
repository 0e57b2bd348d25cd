"""The one pure per-document function every engine maps: a document in, its result row out.

`screen_document` turns one document into one result row (the `check` report with the
document's id); `screen_one` is the same for a corpus run, where a document that cannot
be screened gives the reason instead of raising. The local engine
(`unspin.screening.local`) and the Spark job (`unspin.screening.spark_job`) both call
`screen_one`, so they give identical rows and skip the same documents.
"""

from __future__ import annotations

from typing import Any

from unspin.api import check
from unspin.core.config import Config
from unspin.core.errors import InputError


def screen_document(doc_id: str, text: str, *, restore: bool = False,
                    config: Config | None = None) -> dict[str, Any]:
    """The result row of one document: `{"id", "score", "verdict", "findings",
    "restored"?}`, the `check` report with the document's id.

    Raises `InputError` for text no check can be made on (empty, oversized).
    """
    report = check(text, restore=restore, config=config)
    return {"id": doc_id, **report.to_dict()}


def screen_one(doc_id: str, text: str, restore: bool, config: Config) -> dict[str, Any] | str:
    """The result row of one document, or why it cannot be screened."""
    try:
        f"{doc_id}{text}".encode()
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (\\ud800-\\udfff)"
    try:
        return screen_document(doc_id, text, restore=restore, config=config)
    except InputError as error:
        return str(error)
    except Exception as error:  # a bug on one document must not sink a corpus run
        return f"internal error: {type(error).__name__}: {error}"
