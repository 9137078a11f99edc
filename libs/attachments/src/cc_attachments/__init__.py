"""Attachments, one implementation for crm's cases and claims' tickets (photos of a broken toy,
a PDF invoice, a voice message): streamed in under a size limit, the type detected from the
content (the `filetype` package's magic numbers, never the name the sender gave), stored once by
their sha256 behind a `BlobStore` (a directory here; an object store fits the same Protocol),
and served as downloads a browser saves rather than renders.

Exceptions: `TooLarge` (HTTP 413) when a file goes over the limit; `MissingBlob` when the
metadata names content the store no longer has."""

from cc_attachments.http import download
from cc_attachments.store import Blob, BlobStore, FileBlobStore, MissingBlob, TooLarge, detect_type

__all__ = [
    "Blob",
    "BlobStore",
    "FileBlobStore",
    "MissingBlob",
    "TooLarge",
    "detect_type",
    "download",
]
