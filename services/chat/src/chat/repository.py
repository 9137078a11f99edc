"""Every SQL query of chat: the contact-request queue, each move written with its outcome event
in the outbox (and its audit entry) in one transaction, under the request's row lock; live
chats, each step (a message, a join, the end, the rating) written with its events in one
transaction under the chat's row lock. Accepting a chat request opens its chat in the accept's
own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from cc_runtime import outbox
from cc_runtime.audit import AuditEntry, record_on
from cc_runtime.postgres import Database
from cc_schemas import (
    CONTACT_OUTCOMES,
    ChatOrigin,
    ChatParty,
    ContactChannel,
    ContactContext,
    ContactPriority,
    Event,
    StrategicLevel,
)
from chat import presence
from chat.chat_events import Published
from chat.conversation import Attachment, Chat, ChatRefused, ChatState, Message, Note
from chat.left_messages import LeftMessage
from chat.presence import Operator, Presence
from chat.queue import STRATEGIC_RANK, ContactRequest, Refused, State
from chat.rate_limit import Bucket, Rate, Verdict, take

ERASED_TEXT = "[erased]"  # what an erased customer's chats read

# A move: the request as stored -> the request after it and the event it publishes. It runs
# under the row lock and may raise `queue.Refused`, which leaves everything as it was.
Move = Callable[[ContactRequest], tuple[ContactRequest, Event]]
# What an accepted request opens: its chat and the events that say so (None: not a chat request).
Opens = Callable[[ContactRequest], tuple[Chat, Published] | None]
# A chat's step: the chat as stored -> the chat after it, the message it adds (if any) and what
# it publishes. It runs under the row lock and may raise, which leaves everything as it was.
Step = Callable[[Chat], tuple[Chat, Message | None, Published]]
# The auto-assigner's choice: the waiting chat and the operators who may take it -> the step
# giving it to one of them, or None when none may.
Assigns = Callable[[Chat, list[Operator]], Step | None]


# Auto-assignment's choice for a waiting request: the request, the online operators (rows
# locked), the offers each holds now and who let this request pass -> the operator to offer it
# to, or None when none may have it.
Offers = Callable[[ContactRequest, list[Operator], dict[str, int], frozenset[str]], str | None]


class ContactRequests(Protocol):
    async def add(self, request: ContactRequest, event_id: str) -> bool: ...

    async def get(self, request_id: str) -> ContactRequest | None: ...

    async def live(self, now: datetime, limit: int) -> list[ContactRequest]: ...

    async def move(
        self,
        request_id: str,
        move: Move,
        audit: AuditEntry | None = None,
        opens: Opens | None = None,
        seat_default: int | None = None,
    ) -> ContactRequest | None: ...

    async def due_to_expire(self, now: datetime, limit: int) -> list[str]: ...

    async def offer_next(
        self, now: datetime, seen_since: datetime, lasts: timedelta, offers: Offers
    ) -> ContactRequest | None: ...

    async def pass_offer(
        self,
        request_id: str,
        pass_: Callable[[ContactRequest], ContactRequest],
        reason: str,
        audit: AuditEntry,
    ) -> ContactRequest | None: ...

    async def accepted_before(
        self, customer_id: str, ordered_at: datetime, window: timedelta
    ) -> list[str]: ...


class PostgresContactRequests:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, request: ContactRequest, event_id: str) -> bool:
        """Queue a new request; False when its event or request id is already stored."""
        async with self._database.connection() as connection:
            added = await connection.fetchval(
                "INSERT INTO contact_requests (request_id, event_id, session_id, customer_id, "
                "rule, reason, priority, priority_rank, strategic_level, strategic_rank, "
                "channel, context, requested_at, expires_at, state) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                request.request_id,
                event_id,
                request.session_id,
                request.customer_id,
                request.rule,
                request.reason,
                request.priority.value,
                request.priority.rank,
                request.strategic_level.value if request.strategic_level else None,
                STRATEGIC_RANK[request.strategic_level] if request.strategic_level else None,
                request.channel.value,
                request.context.model_dump_json(),
                request.requested_at,
                request.expires_at,
                request.state.value,
            )
        return bool(added)

    async def get(self, request_id: str) -> ContactRequest | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM contact_requests WHERE request_id = $1", request_id
            )
        return _request(row) if row else None

    async def live(self, now: datetime, limit: int) -> list[ContactRequest]:
        """The waiting requests not yet expired, in the order operators take them."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT * FROM contact_requests WHERE state = 'waiting' AND expires_at > $1 "
                "ORDER BY priority_rank DESC, strategic_rank DESC NULLS LAST, requested_at, "
                "request_id LIMIT $2",
                now,
                limit,
            )
        return [_request(r) for r in rows]

    async def move(
        self,
        request_id: str,
        move: Move,
        audit: AuditEntry | None = None,
        opens: Opens | None = None,
        seat_default: int | None = None,
    ) -> ContactRequest | None:
        """Apply `move` under the request's row lock: of two operators moving one request at
        once, the second sees what the first did; the chat `opens` gives is stored with it.
        With `seat_default` (the seat limit of an operator who never said theirs), the chat
        is refused (`queue.Refused`) to an operator at their seat limit, counted under their
        row lock. None when there is no such request."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM contact_requests WHERE request_id = $1 FOR UPDATE", request_id
            )
            if row is None:
                return None
            after, event = move(_request(row))
            await connection.execute(
                "UPDATE contact_requests SET state = $2, operator_id = $3, decided_at = $4, "
                "decline_reason = $5, converted_by_order = $6, converted_at = $7 "
                "WHERE request_id = $1",
                request_id,
                after.state.value,
                after.operator_id,
                after.decided_at,
                after.decline_reason,
                after.converted_by_order,
                after.converted_at,
            )
            await outbox.add(connection, [(CONTACT_OUTCOMES, event)])
            opened = opens(after) if opens is not None else None
            if opened is not None:
                if seat_default is not None and opened[0].operator_id is not None:
                    refusal = await _seat_refusal(connection, opened[0].operator_id, seat_default)
                    if refusal is not None:
                        raise Refused(refusal)
                await _insert_chat(connection, *opened)
            if audit is not None:
                await record_on(connection, audit.on(request_id))
        return after

    async def due_to_expire(self, now: datetime, limit: int) -> list[str]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT request_id FROM contact_requests "
                "WHERE state = 'waiting' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
                now,
                limit,
            )
        return [r["request_id"] for r in rows]

    async def offer_next(
        self, now: datetime, seen_since: datetime, lasts: timedelta, offers: Offers
    ) -> ContactRequest | None:
        """Offer one waiting request (none offered, or its offer lapsed) to an operator, in one
        transaction: each such request, in queue order, is locked SKIP LOCKED (two offerers
        take different requests; one another holds is passed over); a lapsed offer is recorded
        as its operator's pass; then the online operators' rows FOR UPDATE (two offerers count
        an operator's seats one after the other) and the offers they hold, counted after the
        lock. The request as offered, or None when none could be."""
        async with self._database.transaction() as connection:
            candidates = await connection.fetch(
                "SELECT request_id FROM contact_requests WHERE state = 'waiting' "
                "AND expires_at > $1 AND (offered_until IS NULL OR offered_until <= $1) "
                "ORDER BY priority_rank DESC, strategic_rank DESC NULLS LAST, requested_at, "
                "request_id LIMIT 50",
                now,
            )
            operators: list[Operator] | None = None
            held: dict[str, int] = {}
            for candidate in candidates:
                row = await connection.fetchrow(
                    "SELECT * FROM contact_requests WHERE request_id = $2 "
                    "AND state = 'waiting' AND expires_at > $1 "
                    "AND (offered_until IS NULL OR offered_until <= $1) FOR UPDATE SKIP LOCKED",
                    now,
                    candidate["request_id"],
                )
                if row is None:  # another offerer holds it, or it was taken meanwhile
                    continue
                request = _request(row)
                if request.offered_to is not None:  # its offer lapsed: that operator passed
                    await connection.execute(
                        "INSERT INTO contact_request_passes (request_id, operator_id, "
                        "passed_at, why) VALUES ($1, $2, $3, 'lapsed') ON CONFLICT DO NOTHING",
                        request.request_id,
                        request.offered_to,
                        request.offered_until,
                    )
                    await connection.execute(
                        "UPDATE contact_requests SET offered_to = NULL, offered_until = NULL "
                        "WHERE request_id = $1",
                        request.request_id,
                    )
                if operators is None:
                    operators = await _lock_operators(connection, seen_since)
                    held = {o.operator_id: o.offers for o in operators}
                passed = await connection.fetch(
                    "SELECT operator_id FROM contact_request_passes WHERE request_id = $1",
                    request.request_id,
                )
                chosen = offers(
                    request, operators, held, frozenset(r["operator_id"] for r in passed)
                )
                if chosen is None:
                    continue
                await connection.execute(
                    "UPDATE contact_requests SET offered_to = $2, offered_until = $3 "
                    "WHERE request_id = $1",
                    request.request_id,
                    chosen,
                    now + lasts,
                )
                return replace(request, offered_to=chosen, offered_until=now + lasts)
        return None

    async def pass_offer(
        self,
        request_id: str,
        pass_: Callable[[ContactRequest], ContactRequest],
        reason: str,
        audit: AuditEntry,
    ) -> ContactRequest | None:
        """The operator the request is offered to declines the offer, under the request's
        row lock (`pass_` may raise `queue.Refused`); audited, nothing published (the request
        still waits). None when there is no such request."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM contact_requests WHERE request_id = $1 FOR UPDATE", request_id
            )
            if row is None:
                return None
            after = pass_(_request(row))
            await connection.execute(
                "UPDATE contact_requests SET offered_to = NULL, offered_until = NULL "
                "WHERE request_id = $1",
                request_id,
            )
            await connection.execute(
                "INSERT INTO contact_request_passes (request_id, operator_id, passed_at, why) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, operator_id) "
                "DO UPDATE SET passed_at = EXCLUDED.passed_at, why = EXCLUDED.why",
                request_id,
                audit.subject,
                audit.at,
                reason,
            )
            await record_on(connection, audit.on(request_id))
        return after

    async def accepted_before(
        self, customer_id: str, ordered_at: datetime, window: timedelta
    ) -> list[str]:
        """The customer's accepted requests whose conversion window holds `ordered_at`."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT request_id FROM contact_requests WHERE state = 'accepted' "
                "AND customer_id = $1 AND decided_at <= $2 AND decided_at >= $3 "
                "ORDER BY decided_at",
                customer_id,
                ordered_at,
                ordered_at - window,
            )
        return [r["request_id"] for r in rows]


class Chats(Protocol):
    async def open(self, chat: Chat, events: Published) -> None: ...

    async def get(self, chat_id: str) -> Chat | None: ...

    async def step(
        self,
        chat_id: str,
        step: Step,
        audit: AuditEntry | None = None,
        note: Note | None = None,
        seat_default: int | None = None,
    ) -> tuple[Chat, Message | None] | None: ...

    async def add_note(self, note: Note) -> Note | None: ...

    async def mark_typing(self, chat_id: str, party: ChatParty, now: datetime) -> None: ...

    async def mark_read(self, chat_id: str, party: ChatParty, seq: int) -> None: ...

    async def notes(self, chat_id: str) -> list[Note]: ...

    async def post(
        self, chat_id: str, message_id: str, step: Step, audit: AuditEntry | None = None
    ) -> tuple[Chat, Message | None] | None: ...

    async def messages_after(self, chat_id: str, seq: int, limit: int) -> list[Message]: ...

    async def open_for(
        self, operator_id: str, limit: int, team: str | None = None
    ) -> list[Chat]: ...

    async def invitation(self, session_id: str) -> Chat | None: ...

    async def of_request(self, request_id: str) -> Chat | None: ...

    async def holders(self, chat_id: str) -> frozenset[str]: ...

    async def attachment(self, chat_id: str, attachment_id: str) -> Attachment | None: ...


class PostgresChats:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def open(self, chat: Chat, events: Published) -> None:
        async with self._database.transaction() as connection:
            await _insert_chat(connection, chat, events)

    async def get(self, chat_id: str) -> Chat | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow("SELECT * FROM chats WHERE chat_id = $1", chat_id)
        return _chat(row) if row else None

    async def step(
        self,
        chat_id: str,
        step: Step,
        audit: AuditEntry | None = None,
        note: Note | None = None,
        seat_default: int | None = None,
    ) -> tuple[Chat, Message | None] | None:
        """Apply `step` under the chat's row lock, with the operators' `note` that goes with it
        (a transfer's). With `seat_default`, a step giving the chat to an operator at their
        seat limit (counted under their row lock) is refused (`ChatRefused`). None when there
        is no such chat."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM chats WHERE chat_id = $1 FOR UPDATE", chat_id
            )
            if row is None:
                return None
            chat = _chat(row)
            if seat_default is not None:
                stepped = step(chat)  # may refuse (taken, ended) before any seat is counted
                taker = stepped[0].operator_id
                if taker is not None and taker != chat.operator_id:
                    refusal = await _seat_refusal(connection, taker, seat_default)
                    if refusal is not None:
                        raise ChatRefused(refusal)
                step = lambda _: stepped  # noqa: E731 (the step made once)
            applied = await _apply(connection, chat, step, audit)
            if note is not None:
                await _insert_note(connection, note)
            return applied

    async def mark_typing(self, chat_id: str, party: ChatParty, now: datetime) -> None:
        """The party is typing: no lock, no event (a signal repeated every few seconds)."""
        column = "customer_typing_at" if party is ChatParty.CUSTOMER else "agent_typing_at"
        async with self._database.connection() as connection:
            await connection.execute(
                f"UPDATE chats SET {column} = $2 WHERE chat_id = $1 AND state = 'open'",  # noqa: S608 (one of two column names)
                chat_id,
                now,
            )

    async def mark_read(self, chat_id: str, party: ChatParty, seq: int) -> None:
        """The party has been shown the messages up to `seq`; never moves back."""
        column = "customer_read_seq" if party is ChatParty.CUSTOMER else "agent_read_seq"
        async with self._database.connection() as connection:
            await connection.execute(
                f"UPDATE chats SET {column} = least($2, last_seq) "  # noqa: S608 (one of two column names)
                f"WHERE chat_id = $1 AND {column} < least($2, last_seq)",
                chat_id,
                seq,
            )

    async def add_note(self, note: Note) -> Note | None:
        """Store an operators' note after the chat's last one; None when there is no chat."""
        async with self._database.transaction() as connection:
            found = await connection.fetchval(
                "SELECT 1 FROM chats WHERE chat_id = $1 FOR UPDATE", note.chat_id
            )
            if found is None:
                return None
            return await _insert_note(connection, note)

    async def notes(self, chat_id: str) -> list[Note]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT * FROM chat_notes WHERE chat_id = $1 ORDER BY note_no", chat_id
            )
        return [_note(r) for r in rows]

    async def post(
        self, chat_id: str, message_id: str, step: Step, audit: AuditEntry | None = None
    ) -> tuple[Chat, Message | None] | None:
        """As `step`, for a message: one whose id the chat already holds (sent again after a
        lost answer) is not stored twice; the stored one is returned."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM chats WHERE chat_id = $1 FOR UPDATE", chat_id
            )
            if row is None:
                return None
            stored = await connection.fetchrow(
                "SELECT * FROM chat_messages WHERE chat_id = $1 AND message_id = $2",
                chat_id,
                message_id,
            )
            if stored is not None:
                return _chat(row), _message(stored)
            return await _apply(connection, _chat(row), step, audit)

    async def messages_after(self, chat_id: str, seq: int, limit: int) -> list[Message]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                MESSAGES_WITH_FILES + " WHERE m.chat_id = $1 AND m.seq > $2 "
                "ORDER BY m.seq LIMIT $3",
                chat_id,
                seq,
                limit,
            )
        return [_message(r) for r in rows]

    async def open_for(self, operator_id: str, limit: int, team: str | None = None) -> list[Chat]:
        """The operator's open chats, then the customers' chats nobody has taken (those sent
        to a team: to its operators only), oldest first."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT * FROM chats WHERE state = 'open' "
                "AND (operator_id = $1 OR (operator_id IS NULL AND (team IS NULL OR team = $3))) "
                "ORDER BY operator_id IS NULL, started_at, chat_id LIMIT $2",
                operator_id,
                limit,
                team,
            )
        return [_chat(r) for r in rows]

    async def invitation(self, session_id: str) -> Chat | None:
        """The open proactive chat an operator started for this shop session, the newest."""
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM chats WHERE state = 'open' AND session_id = $1 "
                "AND origin = 'proactive' ORDER BY started_at DESC LIMIT 1",
                session_id,
            )
        return _chat(row) if row else None

    async def of_request(self, request_id: str) -> Chat | None:
        """The proactive chat opened by accepting this request."""
        async with self._database.connection() as connection:
            row = await connection.fetchrow("SELECT * FROM chats WHERE request_id = $1", request_id)
        return _chat(row) if row else None

    async def attachment(self, chat_id: str, attachment_id: str) -> Attachment | None:
        """One file sent in this chat (None when the chat has no such file)."""
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM chat_attachments WHERE chat_id = $1 AND attachment_id = $2",
                chat_id,
                attachment_id,
            )
        return _attachment(row) if row else None

    async def holders(self, chat_id: str) -> frozenset[str]:
        """Every operator who has held the chat (joined it, or had it passed to them)."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT operator_id FROM chat_holders WHERE chat_id = $1", chat_id
            )
        return frozenset(r["operator_id"] for r in rows)


async def _record_holder(connection: Any, chat_id: str, operator_id: str | None) -> None:
    if operator_id is not None:
        await connection.execute(
            "INSERT INTO chat_holders (chat_id, operator_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            chat_id,
            operator_id,
        )


async def _insert_chat(connection: Any, chat: Chat, events: Published) -> None:
    await connection.execute(
        "INSERT INTO chats (chat_id, origin, request_id, customer_id, session_id, operator_id, "
        "joined_at, state, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        chat.chat_id,
        chat.origin.value,
        chat.request_id,
        chat.customer_id,
        chat.session_id,
        chat.operator_id,
        chat.joined_at,
        chat.state.value,
        chat.started_at,
    )
    await _record_holder(connection, chat.chat_id, chat.operator_id)
    await outbox.add(connection, events)


async def _apply(
    connection: Any, chat: Chat, step: Step, audit: AuditEntry | None
) -> tuple[Chat, Message | None]:
    after, message, events = step(chat)
    await connection.execute(
        "UPDATE chats SET operator_id = $2, joined_at = $3, state = $4, ended_at = $5, "
        "ended_by = $6, last_seq = $7, csat_score = $8, csat_comment = $9, rated_at = $10, "
        "team = $11 WHERE chat_id = $1",
        after.chat_id,
        after.operator_id,
        after.joined_at,
        after.state.value,
        after.ended_at,
        after.ended_by.value if after.ended_by else None,
        after.last_seq,
        after.csat_score,
        after.csat_comment,
        after.rated_at,
        after.team,
    )
    if after.operator_id != chat.operator_id:  # joined, or passed on: they hold it now
        await _record_holder(connection, after.chat_id, after.operator_id)
    if message is not None:
        # Sent: the sender is no longer typing it.
        typing = {ChatParty.CUSTOMER: "customer_typing_at", ChatParty.AGENT: "agent_typing_at"}
        if message.sender in typing:
            await connection.execute(
                f"UPDATE chats SET {typing[message.sender]} = NULL WHERE chat_id = $1",  # noqa: S608 (one of two column names)
                message.chat_id,
            )
        await connection.execute(
            "INSERT INTO chat_messages (chat_id, seq, message_id, sender, agent, text, sent_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            message.chat_id,
            message.seq,
            message.message_id,
            message.sender.value,
            message.agent,
            message.text,
            message.sent_at,
        )
        if message.attachment is not None:
            await _insert_attachment(connection, message)
    await outbox.add(connection, events)
    if audit is not None:
        await record_on(connection, audit.on(chat.chat_id))
    return after, message


class PostgresForgetting:
    """customer.erased and the retention period, in SQL: each erasure or purge batch one
    transaction; both return the blobs no file refers to any more, which the caller deletes
    from the store once committed."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def erase_customer(self, customer_id: str, pseudonym: str) -> tuple[int, list[str]]:
        async with self._database.transaction() as connection:
            rows = await connection.fetch(
                "UPDATE chats SET customer_id = $2, session_id = NULL, csat_comment = NULL "
                "WHERE customer_id = $1 RETURNING chat_id",
                customer_id,
                pseudonym,
            )
            chats = [r["chat_id"] for r in rows]
            await connection.execute(
                "UPDATE chat_messages SET text = $2 WHERE chat_id = ANY($1::text[])",
                chats,
                ERASED_TEXT,
            )
            await connection.execute(  # what operators noted is about the customer too
                "UPDATE chat_notes SET text = $2 WHERE chat_id = ANY($1::text[])",
                chats,
                ERASED_TEXT,
            )
            await connection.execute(
                "UPDATE contact_requests SET customer_id = $2, session_id = $2, context = '{}' "
                "WHERE customer_id = $1",
                customer_id,
                pseudonym,
            )
            gone = await connection.fetch(
                "DELETE FROM chat_attachments WHERE chat_id = ANY($1::text[]) RETURNING sha256",
                chats,
            )
            return len(chats), await _orphans(connection, [r["sha256"] for r in gone])

    async def purge_messages(self, before: datetime, batch: int) -> tuple[int, list[str]]:
        async with self._database.transaction() as connection:
            old = await connection.fetch(
                "SELECT chat_id, seq FROM chat_messages WHERE sent_at < $1 ORDER BY sent_at "
                "LIMIT $2 FOR UPDATE SKIP LOCKED",
                before,
                batch,
            )
            keys = ([r["chat_id"] for r in old], [r["seq"] for r in old])
            gone = await connection.fetch(
                "DELETE FROM chat_attachments a USING unnest($1::text[], $2::int[]) AS k(c, s) "
                "WHERE a.chat_id = k.c AND a.seq = k.s RETURNING a.sha256",
                *keys,
            )
            await connection.execute(
                "DELETE FROM chat_messages m USING unnest($1::text[], $2::int[]) AS k(c, s) "
                "WHERE m.chat_id = k.c AND m.seq = k.s",
                *keys,
            )
            if len(old) < batch:  # the last batch: what customers left when nobody was online
                await connection.execute("DELETE FROM left_messages WHERE left_at < $1", before)
            return len(old), await _orphans(connection, [r["sha256"] for r in gone])

    async def forget_idle(self, before: datetime) -> int:
        """Drop rate-limit buckets untouched since `before` (full again by then: nothing is
        lost, and client addresses are not kept)."""
        async with self._database.connection() as connection:
            status = await connection.execute("DELETE FROM rate_buckets WHERE at < $1", before)
        return int(status.split()[-1])


async def _orphans(connection: Any, gone: list[str]) -> list[str]:
    rows = await connection.fetch(
        "SELECT DISTINCT sha256 FROM unnest($1::text[]) AS gone(sha256) "
        "WHERE NOT EXISTS (SELECT 1 FROM chat_attachments a WHERE a.sha256 = gone.sha256)",
        gone,
    )
    return [r["sha256"] for r in rows]


class PostgresBuckets:
    """The rate limits' token buckets, one row each, taken under the row's lock: two instances
    counting one client's calls at once are serialised."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def take(self, key: str, rate: Rate, now: datetime) -> Verdict:
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(  # a new bucket is full; a known one is locked
                "INSERT INTO rate_buckets (bucket, tokens, at) VALUES ($1, $2, $3) "
                "ON CONFLICT (bucket) DO UPDATE SET bucket = EXCLUDED.bucket "
                "RETURNING tokens, at, xmax = 0 AS created",
                key,
                float(rate.burst),
                now,
            )
            known = None if row["created"] else Bucket(row["tokens"], row["at"])
            after, verdict = take(known, rate, now)
            await connection.execute(
                "UPDATE rate_buckets SET tokens = $2, at = $3 WHERE bucket = $1",
                key,
                after.tokens,
                after.at,
            )
        return verdict


async def _insert_note(connection: Any, note: Note) -> Note:
    """Numbered after the chat's last note; the caller holds the chat's row lock."""
    row = await connection.fetchrow(
        "INSERT INTO chat_notes (chat_id, note_no, author, text, written_at) "
        "SELECT $1, coalesce(max(note_no), 0) + 1, $2, $3, $4 FROM chat_notes "
        "WHERE chat_id = $1 RETURNING *",
        note.chat_id,
        note.author,
        note.text,
        note.written_at,
    )
    return _note(row)


def _note(row: Any) -> Note:
    return Note(
        chat_id=row["chat_id"],
        author=row["author"],
        text=row["text"],
        written_at=row["written_at"],
        note_no=row["note_no"],
    )


def _chat(row: Any) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        origin=ChatOrigin(row["origin"]),
        started_at=row["started_at"],
        request_id=row["request_id"],
        customer_id=row["customer_id"],
        session_id=row["session_id"],
        operator_id=row["operator_id"],
        joined_at=row["joined_at"],
        state=ChatState(row["state"]),
        ended_at=row["ended_at"],
        ended_by=ChatParty(row["ended_by"]) if row["ended_by"] else None,
        last_seq=row["last_seq"],
        csat_score=row["csat_score"],
        csat_comment=row["csat_comment"],
        rated_at=row["rated_at"],
        team=row["team"],
        customer_typing_at=row["customer_typing_at"],
        agent_typing_at=row["agent_typing_at"],
        customer_read_seq=row["customer_read_seq"],
        agent_read_seq=row["agent_read_seq"],
    )


MESSAGES_WITH_FILES = (
    "SELECT m.*, a.attachment_id, a.sha256, a.size, a.content_type, a.filename "
    "FROM chat_messages m LEFT JOIN chat_attachments a ON a.chat_id = m.chat_id AND a.seq = m.seq"
)


async def _insert_attachment(connection: Any, message: Message) -> None:
    attachment = message.attachment
    assert attachment is not None
    await connection.execute(
        "INSERT INTO chat_attachments (attachment_id, chat_id, seq, sha256, size, content_type, "
        "filename) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        attachment.attachment_id,
        message.chat_id,
        message.seq,
        attachment.sha256,
        attachment.size,
        attachment.content_type,
        attachment.filename,
    )


def _attachment(row: Any) -> Attachment:
    return Attachment(
        attachment_id=row["attachment_id"],
        sha256=row["sha256"],
        size=row["size"],
        content_type=row["content_type"],
        filename=row["filename"],
    )


def _message(row: Any) -> Message:
    return Message(
        chat_id=row["chat_id"],
        seq=row["seq"],
        message_id=row["message_id"],
        sender=ChatParty(row["sender"]),
        agent=row["agent"],
        text=row["text"],
        sent_at=row["sent_at"],
        attachment=_attachment(row) if row.get("attachment_id") else None,
    )


def _request(row: Any) -> ContactRequest:
    return ContactRequest(
        request_id=row["request_id"],
        session_id=row["session_id"],
        customer_id=row["customer_id"],
        rule=row["rule"],
        reason=row["reason"],
        priority=ContactPriority(row["priority"]),
        strategic_level=StrategicLevel(row["strategic_level"]) if row["strategic_level"] else None,
        channel=ContactChannel(row["channel"]),
        context=ContactContext.model_validate_json(row["context"]),
        requested_at=row["requested_at"],
        expires_at=row["expires_at"],
        state=State(row["state"]),
        operator_id=row["operator_id"],
        decided_at=row["decided_at"],
        decline_reason=row["decline_reason"],
        converted_by_order=row["converted_by_order"],
        converted_at=row["converted_at"],
        offered_to=row["offered_to"],
        offered_until=row["offered_until"],
    )


class Operators(Protocol):
    async def heartbeat(
        self,
        operator_id: str,
        status: Presence,
        seat_limit: int,
        team: str | None,
        now: datetime,
    ) -> Operator: ...

    async def all(self) -> list[Operator]: ...

    async def get(self, operator_id: str) -> Operator | None: ...

    async def mark_vanished(self, now: datetime, silence: timedelta) -> list[str]: ...

    async def assign_next(self, seen_since: datetime, assigns: Assigns) -> Chat | None: ...

    async def give_back_next(self, seen_since: datetime, assigns: Assigns) -> Chat | None: ...

    async def queue_figures(
        self, started_at: datetime | None, seen_since: datetime, handled_since: datetime
    ) -> tuple[int, list[Operator], float | None]: ...


class LeftMessages(Protocol):
    async def add(self, message: LeftMessage) -> None: ...

    async def unhandled(self, limit: int) -> list[LeftMessage]: ...

    async def handle(self, message_id: str, by: AuditEntry) -> LeftMessage | None: ...


WITH_OPEN_CHATS = (
    "SELECT o.*, (SELECT count(*) FROM chats c "
    "WHERE c.operator_id = o.operator_id AND c.state = 'open') AS open_chats FROM operators o "
)


class PostgresOperators:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def heartbeat(
        self,
        operator_id: str,
        status: Presence,
        seat_limit: int,
        team: str | None,
        now: datetime,
    ) -> Operator:
        """Record what the operator says and that their console is there."""
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO operators AS o (operator_id, status, seat_limit, team, last_seen, "
                "changed_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (operator_id) DO UPDATE "
                "SET status = EXCLUDED.status, seat_limit = EXCLUDED.seat_limit, "
                "team = EXCLUDED.team, last_seen = EXCLUDED.last_seen, changed_at = CASE "
                "WHEN o.status = EXCLUDED.status THEN o.changed_at ELSE EXCLUDED.changed_at END",
                operator_id,
                status.value,
                seat_limit,
                team,
                now,
            )
            row = await connection.fetchrow(WITH_OPEN_CHATS + "WHERE operator_id = $1", operator_id)
        return _operator(row)

    async def all(self) -> list[Operator]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(WITH_OPEN_CHATS + "ORDER BY operator_id")
        return [_operator(r) for r in rows]

    async def get(self, operator_id: str) -> Operator | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow(WITH_OPEN_CHATS + "WHERE operator_id = $1", operator_id)
        return _operator(row) if row else None

    async def mark_vanished(self, now: datetime, silence: timedelta) -> list[str]:
        """Operators whose console has not been heard from for `silence` become offline."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "UPDATE operators SET status = 'offline', changed_at = $1 "
                "WHERE status <> 'offline' AND last_seen < $2 RETURNING operator_id",
                now,
                now - silence,
            )
        return sorted(r["operator_id"] for r in rows)

    async def assign_next(self, seen_since: datetime, assigns: Assigns) -> Chat | None:
        """Give one waiting chat to an operator, in one transaction: each waiting chat, oldest
        first, is locked SKIP LOCKED (two assigners take different chats; one another holds is
        passed over), then the online operators' rows FOR UPDATE (two assigners count an
        operator's seats one after the other, the second seeing the first's chat). The chat
        assigned, or None when no chat could be."""
        async with self._database.transaction() as connection:
            candidates = await connection.fetch(
                "SELECT chat_id FROM chats WHERE state = 'open' AND operator_id IS NULL "
                "ORDER BY started_at, chat_id LIMIT 50"
            )
            return await _first_given(
                connection,
                [c["chat_id"] for c in candidates],
                lambda chat_id: connection.fetchrow(
                    "SELECT * FROM chats WHERE chat_id = $1 AND state = 'open' "
                    "AND operator_id IS NULL FOR UPDATE SKIP LOCKED",
                    chat_id,
                ),
                seen_since,
                assigns,
            )

    async def give_back_next(self, seen_since: datetime, assigns: Assigns) -> Chat | None:
        """Give one open chat held by an offline operator (said so, or not heard from since
        `seen_since`) whose customer waits for a reply (the last message is theirs) to an
        available operator, in one transaction: the chat locked SKIP LOCKED and checked again
        under the lock, then the online operators' rows, as `assign_next`. The chat given,
        or None when none could be."""
        async with self._database.transaction() as connection:
            candidates = await connection.fetch(
                "SELECT c.chat_id FROM chats c JOIN operators o ON o.operator_id = c.operator_id "
                "WHERE c.state = 'open' AND (o.status = 'offline' OR o.last_seen < $1) AND "
                "(SELECT m.sender FROM chat_messages m WHERE m.chat_id = c.chat_id "
                "ORDER BY m.seq DESC LIMIT 1) = 'customer' ORDER BY c.started_at, c.chat_id "
                "LIMIT 50",
                seen_since,
            )
            return await _first_given(
                connection,
                [c["chat_id"] for c in candidates],
                lambda chat_id: connection.fetchrow(
                    "SELECT c.* FROM chats c JOIN operators o ON o.operator_id = c.operator_id "
                    "WHERE c.chat_id = $2 AND c.state = 'open' "
                    "AND (o.status = 'offline' OR o.last_seen < $1) AND "
                    "(SELECT m.sender FROM chat_messages m WHERE m.chat_id = c.chat_id "
                    "ORDER BY m.seq DESC LIMIT 1) = 'customer' FOR UPDATE OF c SKIP LOCKED",
                    seen_since,
                    chat_id,
                ),
                seen_since,
                assigns,
            )

    async def queue_figures(
        self, started_at: datetime | None, seen_since: datetime, handled_since: datetime
    ) -> tuple[int, list[Operator], float | None]:
        """The place in the queue of a chat started at `started_at` (after the last waiting one
        when None), the operators online, and how long chats ended since `handled_since`
        lasted on average (None when none did)."""
        async with self._database.connection() as connection:
            ahead = await connection.fetchval(
                "SELECT count(*) FROM chats WHERE state = 'open' AND operator_id IS NULL "
                "AND ($1::timestamptz IS NULL OR started_at < $1)",
                started_at,
            )
            rows = await connection.fetch(
                WITH_OPEN_CHATS + "WHERE status = 'online' AND last_seen >= $1", seen_since
            )
            handling = await connection.fetchval(
                "SELECT avg(extract(epoch FROM ended_at - joined_at)) FROM chats "
                "WHERE state = 'ended' AND joined_at IS NOT NULL AND ended_at >= $1",
                handled_since,
            )
        return (
            ahead + 1,
            [_operator(r) for r in rows],
            None if handling is None else float(handling),
        )


class PostgresLeftMessages:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, message: LeftMessage) -> None:
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO left_messages (message_id, session_id, name, contact, text, left_at) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                message.message_id,
                message.session_id,
                message.name,
                message.contact,
                message.text,
                message.left_at,
            )

    async def unhandled(self, limit: int) -> list[LeftMessage]:
        """The messages nobody has answered yet, oldest first."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT * FROM left_messages WHERE handled_at IS NULL "
                "ORDER BY left_at, message_id LIMIT $1",
                limit,
            )
        return [_left_message(r) for r in rows]

    async def handle(self, message_id: str, by: AuditEntry) -> LeftMessage | None:
        """Marks the message answered by `by` (audited); one already answered stays as it was.
        None when there is no such message."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "UPDATE left_messages SET handled_by = $2, handled_at = $3 "
                "WHERE message_id = $1 AND handled_at IS NULL RETURNING *",
                message_id,
                by.subject,
                by.at,
            )
            if row is None:
                row = await connection.fetchrow(
                    "SELECT * FROM left_messages WHERE message_id = $1", message_id
                )
            else:
                await record_on(connection, by.on(message_id))
        return _left_message(row) if row else None


def _left_message(row: Any) -> LeftMessage:
    return LeftMessage(
        message_id=row["message_id"],
        contact=row["contact"],
        text=row["text"],
        left_at=row["left_at"],
        name=row["name"],
        session_id=row["session_id"],
        handled_by=row["handled_by"],
        handled_at=row["handled_at"],
    )


async def _seat_refusal(connection: Any, operator_id: str, seat_default: int) -> str | None:
    """Why the operator may not take one more chat: their row locked (as the auto-assigner
    locks it), their open chats counted after the lock against their seat limit (the one their
    last heartbeat recorded, else `seat_default`). None when they may."""
    limit = await connection.fetchval(
        "SELECT seat_limit FROM operators WHERE operator_id = $1 FOR UPDATE", operator_id
    )
    held = await connection.fetchval(
        "SELECT count(*) FROM chats WHERE operator_id = $1 AND state = 'open'", operator_id
    )
    return presence.seat_refusal(operator_id, held, limit if limit is not None else seat_default)


async def _first_given(
    connection: Any,
    chat_ids: list[str],
    lock_chat: Callable[[str], Awaitable[Any]],
    seen_since: datetime,
    assigns: Assigns,
) -> Chat | None:
    """The first of `chat_ids` that `lock_chat` locks (its row, or None when another assigner
    holds it or it changed meanwhile) and `assigns` gives a step, given; the online operators'
    rows are locked once, after the first chat locked. None when no chat could be given."""
    operators: list[Operator] | None = None
    for chat_id in chat_ids:
        row = await lock_chat(chat_id)
        if row is None:
            continue
        if operators is None:
            operators = await _lock_operators(connection, seen_since)
        chat = _chat(row)
        step = assigns(chat, operators)
        if step is not None:
            given, _ = await _apply(connection, chat, step, None)
            return given
    return None


async def _lock_operators(connection: Any, seen_since: datetime) -> list[Operator]:
    """The online operators, their rows locked, with their open chats and the offers they
    hold counted after the lock in statements of their own: their snapshots hold every chat
    and offer an assigner or offerer that held these locks before committed."""
    locked = await connection.fetch(
        "SELECT operator_id FROM operators WHERE status = 'online' AND last_seen >= $1 "
        "ORDER BY operator_id FOR UPDATE",
        seen_since,
    )
    rows = await connection.fetch(
        WITH_OPEN_CHATS + "WHERE operator_id = ANY($1::text[])",
        [r["operator_id"] for r in locked],
    )
    offered = await connection.fetch(
        "SELECT offered_to, count(*) AS n FROM contact_requests "
        "WHERE state = 'waiting' AND offered_until > now() GROUP BY offered_to"
    )
    held = {r["offered_to"]: r["n"] for r in offered}
    return [replace(_operator(r), offers=held.get(r["operator_id"], 0)) for r in rows]


def _operator(row: Any) -> Operator:
    return Operator(
        operator_id=row["operator_id"],
        status=Presence(row["status"]),
        seat_limit=row["seat_limit"],
        last_seen=row["last_seen"],
        team=row["team"],
        open_chats=row["open_chats"],
    )
