"""The README's topic table matches the registry, so the documentation cannot drift."""

from pathlib import Path

import pytest

from cc_schemas import TOPICS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_the_readme_table_row_of_a_topic_names_its_key_and_event_types(topic: str) -> None:
    rows = [line for line in README.splitlines() if line.startswith(f"| `{topic}` |")]
    assert len(rows) == 1, f"README needs one table row for {topic}"
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]

    assert cells[1] == f"`{TOPICS[topic].key_field}`"
    assert cells[4].split(", ") == [f"`{t}`" for t in TOPICS[topic].event_types]
