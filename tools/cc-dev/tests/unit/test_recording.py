"""The recording file format: every Kafka message survives a line round trip; bad files are
refused with the file, the line and the reason."""

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_dev.errors import BadFileError
from cc_dev.recording import RecordedMessage, from_line, open_for_writing, read_messages, to_line

messages = st.builds(
    RecordedMessage,
    topic=st.text(min_size=1, max_size=30),
    partition=st.integers(min_value=0, max_value=1000),
    offset=st.integers(min_value=0, max_value=2**62),
    timestamp_ms=st.integers(min_value=0, max_value=2**45),
    key=st.none() | st.binary(max_size=40) | st.text(max_size=40).map(str.encode),
    value=st.none() | st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    headers=st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=20)), max_size=4).map(
        tuple
    ),
)


@given(messages)
def test_any_message_comes_back_the_same_from_its_line(message: RecordedMessage) -> None:
    line = to_line(message)

    assert "\n" not in line
    assert from_line(line) == message


def test_text_stays_readable_and_binary_is_base64() -> None:
    line = to_line(
        RecordedMessage("call-events", 0, 1, 1000, b"call-1", b"\xff\xfe", (("h", b"v"),))
    )

    assert '"key": "call-1"' in line
    assert '"value": {"base64": "//4="}' in line
    assert '"headers": [["h", "v"]]' in line


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "Invalid JSON"),
        ('{"partition": 0, "offset": 0, "timestamp": 1}', "topic"),
        ('{"topic": "a", "partition": -1, "offset": 0, "timestamp": 1}', "partition"),
        (
            '{"topic": "a", "partition": 0, "offset": 0, "timestamp": 1, "key": {"base64": "%%"}}',
            "base64",
        ),
        ('{"topic": "a", "partition": 0, "offset": 0, "timestamp": 1, "value": 5}', "value"),
    ],
)
def test_a_line_that_is_not_a_recorded_message_is_refused_with_the_reason(
    line: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        from_line(line)


def sample(n: int) -> list[RecordedMessage]:
    return [RecordedMessage("t", n % 2, n, 1000 + n, b"k%d" % n, b"v%d" % n) for n in range(n)]


@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.gz"])
def test_a_written_file_reads_back_in_order_compressed_or_not(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with open_for_writing(path) as out:
        for message in sample(5):
            out.write(to_line(message) + "\n")

    assert list(read_messages(path)) == sample(5)
    assert path.read_bytes().startswith(b"\x1f\x8b") == name.endswith(".gz")


def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text(to_line(sample(1)[0]) + "\n\n{broken\n")

    with pytest.raises(BadFileError, match=r"rec.jsonl, line 3: not a recorded message"):
        list(read_messages(path))


def test_a_missing_file_is_a_bad_file(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match="cannot read"):
        list(read_messages(tmp_path / "nowhere.jsonl"))


def test_a_truncated_gzip_file_is_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(to_line(m) for m in sample(50))).encode())[:-30])

    with pytest.raises(BadFileError, match="not a readable recording"):
        list(read_messages(path))


def test_binary_garbage_is_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage")

    with pytest.raises(BadFileError, match="line 1: not UTF-8"):
        list(read_messages(path))
