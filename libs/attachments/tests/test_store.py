"""Blobs: the same content in any chunking gives one blob (sha256, size) stored once; the type
comes from the content, not the name; over the limit nothing is kept; downloads are saved, not
rendered."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from cc_attachments import FileBlobStore, MissingBlob, TooLarge, detect_type, download

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"x" * 100


async def chunks(data: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    at = 0
    for size in [*sizes, len(data)]:
        if at >= len(data):
            break
        yield data[at : at + max(size, 1)]
        at += max(size, 1)


def files(store: FileBlobStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=5000), sizes=st.lists(st.integers(1, 700), max_size=20))
def test_any_chunking_gives_the_same_blob_kept_once(data: bytes, sizes: list[int]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        store = FileBlobStore(Path(root))
        whole = asyncio.run(store.put(chunks(data, []), limit=10_000))
        again = asyncio.run(store.put(chunks(data, sizes), limit=10_000))
        assert whole == again
        assert whole.size == len(data)
        assert [p.name for p in files(store)] == [whole.sha256]

        async def read_back() -> bytes:
            return b"".join([c async for c in store.read(whole.sha256)])

        assert asyncio.run(read_back()) == data


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert (detect_type(PNG), detect_type(PDF), detect_type(b"hello")) == (
        "image/png",
        "application/pdf",
        "application/octet-stream",
    )


def test_over_the_limit_nothing_is_kept(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    with pytest.raises(TooLarge, match="over the limit of 100 bytes"):
        asyncio.run(store.put(chunks(b"x" * 101, [50]), limit=100))
    assert files(store) == []


def test_only_sha256_names_are_read(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)

    async def read(name: str) -> list[bytes]:
        return [c async for c in store.read(name)]

    with pytest.raises(MissingBlob, match="not a sha256"):
        asyncio.run(read("../../etc/passwd"))
    with pytest.raises(MissingBlob, match="no blob"):
        asyncio.run(read("a" * 64))


def test_a_download_is_saved_not_rendered(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    blob = asyncio.run(store.put(chunks(b"<html><script>alert(1)</script>", []), limit=1000))

    async def get(request: object) -> object:
        return download(store, blob.sha256, blob.content_type, "ruota rotta.html", blob.size)

    client = TestClient(Starlette(routes=[Route("/", get)]))
    answer = client.get("/")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"ruota rotta.html\"; filename*=UTF-8''ruota%20rotta.html"
    )
    assert answer.content == b"<html><script>alert(1)</script>"
