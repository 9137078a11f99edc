"""Which files make a service's migrations: numbered, in order, without gaps, named plainly."""

from pathlib import Path

import pytest

from cc_runtime.migrations import MigrationError, migrations_in, package_migrations


def write(directory: Path, **files: str) -> Path:
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def test_numbered_files_are_read_in_version_order(tmp_path: Path) -> None:
    write(tmp_path, **{"0002_index.sql": "B", "0001_events.sql": "A", "README.md": "notes"})

    migrations = migrations_in(tmp_path)

    assert [(m.version, m.name, m.sql) for m in migrations] == [
        (1, "events", "A"),
        (2, "index", "B"),
    ]
    assert [m.file_name for m in migrations] == ["0001_events.sql", "0002_index.sql"]


def test_a_gap_in_the_versions_is_refused(tmp_path: Path) -> None:
    write(tmp_path, **{"0001_events.sql": "A", "0003_index.sql": "C"})

    with pytest.raises(MigrationError, match=r"\[1, 3\]"):
        migrations_in(tmp_path)


def test_a_sql_file_not_named_as_a_migration_is_refused_not_skipped(tmp_path: Path) -> None:
    write(tmp_path, **{"0001_events.sql": "A", "2_Index.sql": "B"})

    with pytest.raises(MigrationError, match=r"2_Index\.sql"):
        migrations_in(tmp_path)


def test_the_checksum_follows_the_text(tmp_path: Path) -> None:
    def checksum(sql: str) -> str:
        return migrations_in(write(tmp_path, **{"0001_events.sql": sql}))[0].checksum

    assert checksum("CREATE TABLE a ()") != checksum("CREATE TABLE b ()")
    assert checksum("CREATE TABLE a ()") == checksum("CREATE TABLE a ()")


def test_a_package_without_a_migrations_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "no_migrations_desk").mkdir()
    (tmp_path / "no_migrations_desk" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(MigrationError, match="no_migrations_desk has no migrations/"):
        package_migrations("no_migrations_desk")
