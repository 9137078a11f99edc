"""Reading a queue_log's complete lines: lengths and offsets exact, however the file is cut into
reads, and a line too long never held whole in memory."""

import asyncio
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony_ingest import files

lines_of = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20)


def read_all(
    data: bytes, *, final: bool, max_bytes: int, start: int = 0
) -> list[tuple[bytes, int, int]]:
    async def collect() -> list[tuple[bytes, int, int]]:
        source = io.BytesIO(data)
        return [
            line
            async for line in files.complete_lines(source, start, final=final, max_bytes=max_bytes)
        ]

    return asyncio.run(collect())


@given(
    lines=lines_of,
    tail=st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")),
    chunk=st.integers(1, 17),
    max_bytes=st.integers(1, 25),
    final=st.booleans(),
)
def test_every_complete_line_comes_with_its_length_and_the_offset_after_it(
    lines: list[bytes],
    tail: bytes,
    chunk: int,
    max_bytes: int,
    final: bool,
) -> None:
    data = b"".join(line + b"\n" for line in lines) + tail
    original, files.CHUNK_BYTES = files.CHUNK_BYTES, chunk
    try:
        read = read_all(data, final=final, max_bytes=max_bytes)
    finally:
        files.CHUNK_BYTES = original

    expected, offset = [], 0
    for line in lines + ([tail] if final and tail else []):
        offset += len(line) + (1 if offset + len(line) < len(data) else 0)
        expected.append((line[: max_bytes + 1], len(line), offset))
    assert read == expected


def test_a_line_of_a_megabyte_is_read_as_its_start_and_its_length() -> None:
    data = b"a|b\n" + b"9" * 1_200_000 + b"\nc|d\n"

    read = read_all(data, final=True, max_bytes=files.MAX_LINE_BYTES)

    assert [(len(line), length) for line, length, _ in read] == [
        (3, 3),
        (files.MAX_LINE_BYTES + 1, 1_200_000),
        (3, 3),
    ]
    assert read[-1][2] == len(data)


@pytest.mark.parametrize("final", [True, False])
def test_reading_resumes_at_an_offset(final: bool) -> None:
    data = b"one\ntwo\nthree"

    read = read_all(data, final=final, max_bytes=100, start=4)

    assert read == [(b"two", 3, 8)] + ([(b"three", 5, 13)] if final else [])
