"""Every cc-dev test reads the command's output whole, whatever the terminal or the path.

rich wraps and truncates at the console's width: the terminal's, `COLUMNS` (read once, when
`cc_dev.cli` is imported) or 80 when the output is not a terminal. A long temporary path or a
narrow terminal would then cut a message (`cannot\\nread`) or a table cell (`t891e1…`), so the
tests pin cc-dev's consoles to a width no message or table of theirs reaches.
"""

import pytest

from cc_dev import cli

WIDTH = 10_000


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    for console in (cli.out, cli.err):
        monkeypatch.setattr(console, "_width", WIDTH)
