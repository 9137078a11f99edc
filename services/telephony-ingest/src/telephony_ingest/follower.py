"""Live follow of a queue_log file, surviving rotation and restarts. Writes call-events,
agent-events and call-events.dlq through `QueueLogLines`.

Each pass reads the file's complete lines from the byte offset stored for it (per fingerprint
of its first line), so a restart resumes where the last batch the broker acknowledged ended.
The offset only saves reading: whether a line is published is the line ledger's decision
(`handlers.import_queue_log`), so a line the follower published is a duplicate for a later
upload of the rotated file, and the other way round. The followed file's fingerprint is stored
too: when the file at the path has another fingerprint (renamed by logrotate, or copied and
truncated), the rest of the old file is read first from the sibling that still carries it
(`queue_log.1`, ...), then the new file from its start. Compressed rotations are not read:
rotate with `delaycompress`.
"""

import asyncio
import logging
import os
from pathlib import Path
from typing import BinaryIO

from telephony_ingest.files import fingerprint
from telephony_ingest.handlers import QUEUE_LOG, ImportReport, QueueLogLines, import_queue_log
from telephony_ingest.repository import FollowedFile, FollowStore, Progress

log = logging.getLogger(__name__)


class QueueLogFollower:
    def __init__(
        self,
        path: Path,
        lines: QueueLogLines,
        store: FollowStore,
        poll_seconds: float,
    ) -> None:
        self.path = path
        self.lines = lines
        self.store = store
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        """Follow until cancelled; a failing pass is logged and retried after the poll delay."""
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("queue_log follow pass failed", extra={"path": str(self.path)})
            await asyncio.sleep(self.poll_seconds)

    async def poll_once(self) -> int:
        """Publish what was added since the last pass; returns the number of lines read."""
        try:
            source = await asyncio.to_thread(self.path.open, "rb")
        except FileNotFoundError:
            return 0  # between a rotation's rename and the new file's creation
        with source:
            current = fingerprint(source)
            if current is None:
                return 0
            known = await self.store.followed(str(self.path))
            read = 0
            if known is not None and known.fingerprint != current:
                read += await self._drain_rotated(known.fingerprint)
            if known is None or known.fingerprint != current:
                stat = os.fstat(source.fileno())
                await self.store.save_followed(
                    str(self.path), FollowedFile(stat.st_ino, stat.st_dev, current)
                )
            report = await self._read(source, str(self.path), current)
            return read + report.lines

    async def _drain_rotated(self, old_fingerprint: str) -> int:
        siblings = [p for p in self.path.parent.glob(self.path.name + ".*") if p.is_file()]
        for sibling in sorted(siblings):
            with sibling.open("rb") as source:
                if fingerprint(source) != old_fingerprint:
                    continue
                report = await self._read(source, str(sibling), old_fingerprint)
                log.info("rotated queue_log drained", extra={"path": str(sibling)})
                return report.lines
        self.lines.metrics.rejected.labels(QUEUE_LOG, "rotated_file_missing").inc()
        log.error(
            "rotated queue_log not found; its unread lines are missing",
            extra={"path": str(self.path), "fingerprint": old_fingerprint},
        )
        return 0

    async def _read(self, source: BinaryIO, name: str, file_id: str) -> ImportReport:
        """The file's lines from where the last pass stopped."""

        async def checkpoint(progress: Progress) -> None:
            await self.store.save_progress(file_id, progress, name)

        start = await self.store.progress_of(file_id)
        return await import_queue_log(
            source, name, self.lines, self.store, start=start, final=False, checkpoint=checkpoint
        )
