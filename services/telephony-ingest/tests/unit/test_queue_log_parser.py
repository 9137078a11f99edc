"""The queue_log parser on lines written as Asterisk's app_queue writes them, verb by verb."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallExited,
    CallOffered,
    CallOutboundAnswered,
    CallOutboundDialled,
    CallOutboundEnded,
    CallRingNoAnswer,
    CallTransferred,
    EndedBy,
    Event,
    ExitReason,
    OutboundOutcome,
    TransferKind,
    make_event_id,
)
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.queue_log import (
    IGNORED_VERBS,
    LAYOUTS,
    MAPPERS,
    Ignored,
    Mapped,
    Rejected,
    RejectReason,
    Unknown,
    line_event_id,
    parse_line,
)


def mapped(line: str) -> Event:
    outcome = parse_line(line)
    assert isinstance(outcome, Mapped), outcome
    return outcome.event


def rejected(line: str) -> Rejected:
    outcome = parse_line(line)
    assert isinstance(outcome, Rejected), outcome
    return outcome


def test_enterqueue_offers_the_call_with_the_caller_in_e164_and_the_position() -> None:
    event = mapped("1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||0212345678|1")

    assert isinstance(event, CallOffered)
    assert event.call_id == "1710408413.4211"
    assert event.queue == "sales"
    assert event.occurred_at == datetime(2024, 3, 14, 9, 26, 53, tzinfo=UTC)
    assert event.caller.number_raw == "0212345678"
    assert event.caller.e164 == "+390212345678"
    assert (event.caller.withheld, event.caller.invalid) == (False, False)
    assert event.position == 1
    assert event.source == "asterisk-queue-log"


def test_enterqueue_with_log_cidname_keeps_the_caller_name() -> None:
    event = mapped("1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||0049301234567|2|Max Weber")

    assert isinstance(event, CallOffered)
    assert event.caller.e164 == "+49301234567"
    assert event.caller.name == "Max Weber"
    assert event.position == 2


def test_enterqueue_from_a_withheld_number_is_flagged_withheld() -> None:
    event = mapped("1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||anonymous|1")

    assert isinstance(event, CallOffered)
    assert event.caller.withheld
    assert event.caller.e164 is None
    assert event.caller.number_raw == "anonymous"


def test_enterqueue_from_a_malformed_number_is_kept_and_flagged_invalid() -> None:
    event = mapped("1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||12ab|1")

    assert isinstance(event, CallOffered)
    assert event.caller.invalid
    assert event.caller.e164 is None
    assert event.caller.number_raw == "12ab"


def test_the_default_region_decides_how_a_national_number_is_read() -> None:
    outcome = parse_line("1710408413|1.1|sales|NONE|ENTERQUEUE||030 1234567|1", region="DE")

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, CallOffered)
    assert outcome.event.caller.e164 == "+49301234567"


def test_ringnoanswer_converts_the_milliseconds_asterisk_logs_to_seconds() -> None:
    event = mapped("1710408428|1710408413.4211|sales|PJSIP/1001|RINGNOANSWER|15000")

    assert isinstance(event, CallRingNoAnswer)
    assert (event.agent, event.interface) == ("1001", "PJSIP/1001")
    assert event.ring_seconds == 15.0


def test_connect_answers_with_the_wait_the_bridged_channel_and_the_ring_time() -> None:
    event = mapped("1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.4215|5")

    assert isinstance(event, CallAnswered)
    assert (event.agent, event.interface) == ("1002", "PJSIP/1002")
    assert event.wait_seconds == 27
    assert event.agent_call_id == "1710408435.4215"
    assert event.ring_seconds == 5


@pytest.mark.parametrize(
    ("verb", "ended_by"), [("COMPLETECALLER", EndedBy.CALLER), ("COMPLETEAGENT", EndedBy.AGENT)]
)
def test_complete_ends_the_call_with_wait_talk_time_and_who_hung_up(
    verb: str, ended_by: EndedBy
) -> None:
    event = mapped(f"1710408560|1710408413.4211|sales|PJSIP/1002|{verb}|27|120|1")

    assert isinstance(event, CallEnded)
    assert (event.wait_seconds, event.talk_seconds) == (27, 120)
    assert event.ended_by is ended_by
    assert (event.agent, event.interface) == ("1002", "PJSIP/1002")


def test_abandon_gives_the_position_the_original_position_and_the_wait() -> None:
    event = mapped("1710408500|1710408413.4212|sales|NONE|ABANDON|2|3|45")

    assert isinstance(event, CallAbandoned)
    assert (event.position, event.original_position, event.wait_seconds) == (2, 3, 45)


@pytest.mark.parametrize(
    ("line", "reason", "key"),
    [
        ("1710408800|1710408413.4213|sales|NONE|EXITWITHTIMEOUT|1|4|300", ExitReason.TIMEOUT, None),
        ("1710408800|1710408413.4213|sales|NONE|EXITEMPTY|1|4|300", ExitReason.EMPTY, None),
        ("1710408800|1710408413.4213|sales|NONE|EXITWITHKEY|5|1|4|300", ExitReason.KEY, "5"),
    ],
)
def test_exits_say_why_the_call_left_the_queue_unanswered(
    line: str, reason: ExitReason, key: str | None
) -> None:
    event = mapped(line)

    assert isinstance(event, CallExited)
    assert event.reason is reason
    assert event.key == key
    assert (event.position, event.original_position, event.wait_seconds) == (1, 4, 300)


@pytest.mark.parametrize(
    ("verb", "kind"), [("TRANSFER", TransferKind.UNKNOWN), ("BLINDTRANSFER", TransferKind.BLIND)]
)
def test_transfers_to_an_extension_keep_the_target_and_the_times(
    verb: str, kind: TransferKind
) -> None:
    event = mapped(f"1710408560|1710408413.4211|sales|PJSIP/1002|{verb}|2001|from-internal|27|60|1")

    assert isinstance(event, CallTransferred)
    assert event.kind is kind
    assert (event.target_extension, event.target_context) == ("2001", "from-internal")
    assert (event.wait_seconds, event.talk_seconds) == (27, 60)
    assert (event.agent, event.interface) == ("1002", "PJSIP/1002")


@pytest.mark.parametrize(
    "data",
    [
        "BRIDGE|5a7c1e0e-46f5-4b4b-a1c3-6f1c2a8e4b7d|27|60|1",
        "APP|Queue|27|60|1",
        "LINK|PJSIP/1002-00000001|PJSIP/2001-00000002|27|60|1",
    ],
)
def test_attended_transfers_parse_whatever_the_method(data: str) -> None:
    event = mapped(f"1710408560|1710408413.4211|sales|PJSIP/1002|ATTENDEDTRANSFER|{data}")

    assert isinstance(event, CallTransferred)
    assert event.kind is TransferKind.ATTENDED
    assert (event.wait_seconds, event.talk_seconds) == (27, 60)


@pytest.mark.parametrize(
    "line",
    [
        "1710400000|NONE|NONE|Agent/1001|AGENTLOGIN|PJSIP/1001-00000001",
        "1710400000|NONE|NONE|Agent/1001|AGENTCALLBACKLOGIN|1001@agents",
    ],
)
def test_agent_logins_carry_the_agents_identity_and_the_name_logged(line: str) -> None:
    event = mapped(line)

    assert isinstance(event, AgentLoggedIn)
    assert (event.agent_id, event.interface) == ("1001", "Agent/1001")
    assert event.queue is None


@pytest.mark.parametrize(
    "line",
    [
        "1710430000|NONE|NONE|Agent/1001|AGENTLOGOFF|PJSIP/1001-00000001|30000",
        "1710430000|NONE|NONE|Agent/1001|AGENTCALLBACKLOGOFF|1001@agents|30000|CommandLogoff",
    ],
)
def test_agent_logoffs_carry_the_time_logged_in(line: str) -> None:
    event = mapped(line)

    assert isinstance(event, AgentLoggedOut)
    assert event.agent_id == "1001"
    assert event.session_seconds == 30000


def test_addmember_logs_the_member_into_the_queue() -> None:
    event = mapped("1710400000|MANAGER|sales|PJSIP/1001|ADDMEMBER|")

    assert isinstance(event, AgentLoggedIn)
    assert (event.agent_id, event.interface, event.queue) == ("1001", "PJSIP/1001", "sales")


def test_removemember_logs_the_member_out_of_the_queue() -> None:
    event = mapped("1710430000|MANAGER|sales|PJSIP/1001|REMOVEMEMBER|")

    assert isinstance(event, AgentLoggedOut)
    assert (event.agent_id, event.interface, event.queue) == ("1001", "PJSIP/1001", "sales")


def test_pause_carries_its_reason_and_pauseall_applies_to_every_queue() -> None:
    paused = mapped("1710410000|NONE|sales|PJSIP/1001|PAUSE|lunch")
    paused_all = mapped("1710410000|NONE|NONE|PJSIP/1001|PAUSEALL|")

    assert isinstance(paused, AgentPaused)
    assert (paused.queue, paused.reason) == ("sales", "lunch")
    assert isinstance(paused_all, AgentPaused)
    assert (paused_all.queue, paused_all.reason) == (None, None)


@pytest.mark.parametrize(
    "line",
    ["1710410100|NONE|sales|PJSIP/1001|UNPAUSE|", "1710410100|NONE|NONE|PJSIP/1001|UNPAUSEALL|"],
)
def test_unpauses_make_the_agent_available_again(line: str) -> None:
    event = mapped(line)

    assert isinstance(event, AgentUnpaused)
    assert event.agent_id == "1001"


@pytest.mark.parametrize("verb", sorted(IGNORED_VERBS))
def test_verbs_without_a_lifecycle_fact_are_ignored_by_name(verb: str) -> None:
    assert parse_line(f"1710400000|NONE|NONE|NONE|{verb}|") == Ignored(verb)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", RejectReason.MALFORMED_LINE),
        ("1710400000|1.1|sales|NONE", RejectReason.MALFORMED_LINE),
        ("yesterday|1.1|sales|NONE|ENTERQUEUE||021234567|1", RejectReason.BAD_TIMESTAMP),
        ("1710400000|1.1|sales|NONE|call on hold|", RejectReason.MALFORMED_LINE),
        ("1710400000|NONE|sales|NONE|ENTERQUEUE||021234567|1", RejectReason.MISSING_CALL_ID),
        ("1710400000|1.1|sales|NONE|CONNECT|27|1.2|5", RejectReason.MISSING_AGENT),
        ("1710400000|1.1|NONE|NONE|ABANDON|1|1|5", RejectReason.MISSING_QUEUE),
        ("1710400000|1.1|sales|NONE|ABANDON|||", RejectReason.BAD_FIELD),
        ("1710400000|1.1|sales|PJSIP/1|CONNECT|-3|1.2|5", RejectReason.BAD_FIELD),
        ("1710400000|1.1|sales|PJSIP/1|CONNECT|27|1.2|5|extra", RejectReason.BAD_FIELD),
        ("1710400000|1.1|s\x00les|NONE|ABANDON|1|1|5", RejectReason.CONTROL_CHARACTER),
        ("1710400000|1.1|sales|PJSIP/1\x1b|CONNECT|27|1.2|5", RejectReason.CONTROL_CHARACTER),
        ("1710400000|1.1|sales|NONE|ABANDON|0|1|5", RejectReason.INVALID_EVENT),
        ("1710400000|NONE|NONE|NONE|PAUSE|lunch", RejectReason.MISSING_AGENT),
    ],
)
def test_lines_that_cannot_be_mapped_are_rejected_with_a_typed_reason(
    line: str, reason: RejectReason
) -> None:
    outcome = rejected(line)

    assert outcome.reason is reason
    assert outcome.detail


def test_the_same_line_always_gets_the_same_event_id() -> None:
    line = "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.4215|5"

    assert mapped(line).event_id == mapped(line).event_id
    assert mapped(line).event_id == mapped(line + "\n").event_id


def test_event_ids_are_those_of_the_contracts_make_event_id() -> None:
    line = "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.4215|5"

    assert line_event_id("pbx", line) == make_event_id("asterisk-queue-log", "pbx", line)
    assert mapped(line).event_id == make_event_id("asterisk-queue-log", "pbx", line)


def test_two_lines_of_one_call_differing_only_in_data_get_different_event_ids() -> None:
    first = mapped("1710410000|NONE|sales|PJSIP/1001|PAUSE|lunch")
    second = mapped("1710410000|NONE|sales|PJSIP/1001|PAUSE|meeting")

    assert first.event_id != second.event_id


def test_another_pbx_gets_other_event_ids_for_the_same_line() -> None:
    line = "1710410000|NONE|sales|PJSIP/1001|PAUSE|lunch"
    ours = parse_line(line, pbx_id="rome")
    theirs = parse_line(line, pbx_id="milan")

    assert isinstance(ours, Mapped)
    assert isinstance(theirs, Mapped)
    assert ours.event.event_id != theirs.event.event_id


def test_a_verb_without_a_mapping_is_unknown_not_an_error_of_the_line() -> None:
    assert parse_line("1710400000|1.1|sales|NONE|CALLERONHOLD|") == Unknown("CALLERONHOLD")
    assert parse_line("1710400000|1.1|sales|NONE|calleroffhold|x") == Unknown("CALLEROFFHOLD")


def test_one_agent_named_by_two_interfaces_is_one_identity() -> None:
    added = mapped("1710400000|MANAGER|sales|Local/1127@callback-agent|ADDMEMBER|")
    logged_in = mapped("1710400001|NONE|NONE|Agent/1127|AGENTCALLBACKLOGIN|1127@agents")
    answered = mapped("1710408440|1710408413.1|sales|Local/1127@callback-agent|CONNECT|5|1.2|3")

    assert isinstance(added, AgentLoggedIn)
    assert isinstance(logged_in, AgentLoggedIn)
    assert isinstance(answered, CallAnswered)
    assert (added.agent_id, logged_in.agent_id, answered.agent) == ("1127", "1127", "1127")
    assert (added.interface, logged_in.interface) == ("Local/1127@callback-agent", "Agent/1127")
    assert answered.interface == "Local/1127@callback-agent"


def test_configured_aliases_name_the_agent_of_a_device_without_an_extension() -> None:
    identities = AgentIdentities({"SIP/mario-desk": "1127"})
    outcome = parse_line("1710410000|NONE|sales|SIP/mario-desk|PAUSE|lunch", identities=identities)

    assert isinstance(outcome, Mapped)
    assert isinstance(outcome.event, AgentPaused)
    assert (outcome.event.agent_id, outcome.event.interface) == ("1127", "SIP/mario-desk")


# Outbound verbs (layout documented in queue_log.py).


def test_outdial_starts_an_outbound_attempt_with_the_number_normalised() -> None:
    event = mapped("1710420000|1710420000.77|callback|Agent/1127|OUTDIAL|0212345678|spring-promo")

    assert isinstance(event, CallOutboundDialled)
    assert (event.call_id, event.queue, event.campaign) == (
        "1710420000.77",
        "callback",
        "spring-promo",
    )
    assert (event.agent, event.interface) == ("1127", "Agent/1127")
    assert (event.dialled.number_raw, event.dialled.e164) == ("0212345678", "+390212345678")


def test_outanswer_connects_the_agent_with_the_time_dialled() -> None:
    event = mapped("1710420012|1710420000.77|callback|Agent/1127|OUTANSWER|0212345678|12")

    assert isinstance(event, CallOutboundAnswered)
    assert event.ring_seconds == 12
    assert event.dialled is not None
    assert event.dialled.e164 == "+390212345678"


@pytest.mark.parametrize(
    ("verb", "outcome"),
    [
        ("OUTCANCEL", OutboundOutcome.CANCELLED),
        ("OUTCHANUNAVAIL", OutboundOutcome.UNAVAILABLE),
        ("OUTCONGESTION", OutboundOutcome.CONGESTION),
        ("OUTBUSY", OutboundOutcome.BUSY),
        ("OUTNOANSWER", OutboundOutcome.NO_ANSWER),
    ],
)
def test_an_outbound_attempt_not_answered_ends_with_its_outcome(
    verb: str, outcome: OutboundOutcome
) -> None:
    event = mapped(f"1710420030|1710420000.77|callback|Agent/1127|{verb}|0212345678|30")

    assert isinstance(event, CallOutboundEnded)
    assert (event.outcome, event.connected) == (outcome, False)
    assert (event.ring_seconds, event.talk_seconds) == (30, 0)


def test_outtransfer_ends_a_connected_outbound_call_with_target_and_talk_time() -> None:
    event = mapped("1710420200|1710420000.77|callback|Agent/1127|OUTTRANSFER|0212345678|2001|188")

    assert isinstance(event, CallOutboundEnded)
    assert (event.outcome, event.connected) == (OutboundOutcome.TRANSFERRED, True)
    assert (event.target, event.talk_seconds) == ("2001", 188)


@pytest.mark.parametrize(
    ("data", "outcome", "talk"),
    [
        ("ANSWER|95|110|0212345678", OutboundOutcome.COMPLETED, 95),
        ("BUSY||3|0212345678", OutboundOutcome.BUSY, 0),
        ("NOANSWER|0|30", OutboundOutcome.NO_ANSWER, 0),
        ("WHATEVER|0|30", OutboundOutcome.UNKNOWN, 0),
    ],
)
def test_asterisks_own_outcall_of_queueupdate_ends_an_outbound_call(
    data: str, outcome: OutboundOutcome, talk: float
) -> None:
    event = mapped(f"1710420200|1710420000.77|callback|PJSIP/1127|OUTCALL|{data}")

    assert isinstance(event, CallOutboundEnded)
    assert (event.outcome, event.talk_seconds) == (outcome, talk)
    assert event.connected is (outcome is OutboundOutcome.COMPLETED)


@pytest.mark.parametrize(
    "line",
    [
        "1710420000|NONE|callback|Agent/1127|OUTDIAL|0212345678",
        "1710420000|1710420000.77|callback|Agent/1127|OUTDIAL|",
        "1710420012|1710420000.77|callback|Agent/1127|OUTANSWER|0212345678|twelve",
        "1710420200|1710420000.77|callback|Agent/1127|OUTTRANSFER|0212345678|2001|1.5",
    ],
)
def test_outbound_lines_without_a_call_a_number_or_with_bad_times_are_rejected(line: str) -> None:
    assert rejected(line).reason in {RejectReason.MISSING_CALL_ID, RejectReason.BAD_FIELD}


# Cut lines: a truncated file's last line, a line cut by a full disk.


@pytest.mark.parametrize(
    "line",
    [
        "1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||021234",  # caller cut, no position
        "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408",  # bridged uniqueid cut
        "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.|5",
        "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.4215|",
        "1710408560|1710408413.4211|sales|PJSIP/1002|COMPLETECALLER|27|12",
        "1710408800|1710408413.4213|sales|NONE|EXITWITHKEY|5|1|4",
        "1710430000|NONE|NONE|Agent/1001|AGENTLOGOFF|PJSIP/1001-00000001",
    ],
)
def test_a_line_cut_short_is_rejected_not_published_with_wrong_data(line: str) -> None:
    assert rejected(line).reason is RejectReason.BAD_FIELD


def test_a_bridged_uniqueid_may_carry_the_systems_name() -> None:
    event = mapped(
        "1710408440|pbx1-1710408413.4211|sales|PJSIP/1002|CONNECT|27|pbx1-1710408435.4215|5"
    )

    assert isinstance(event, CallAnswered)
    assert event.agent_call_id == "pbx1-1710408435.4215"


def test_fields_padded_empty_by_a_database_export_are_accepted() -> None:
    event = mapped("1710408500|1710408413.4212|sales|NONE|ABANDON|2|3|45||")

    assert isinstance(event, CallAbandoned)


# One complete line of each mapped verb, with exactly the data fields its layout requires.
COMPLETE_LINES = [
    "1710408413|1710408413.4211|sales|NONE|ENTERQUEUE||0212345678|12",
    "1710408440|1710408413.4211|sales|PJSIP/1002|CONNECT|27|1710408435.4215|15",
    "1710408560|1710408413.4211|sales|PJSIP/1002|COMPLETECALLER|27|120|11",
    "1710408560|1710408413.4211|sales|PJSIP/1002|COMPLETEAGENT|27|120|11",
    "1710408500|1710408413.4212|sales|NONE|ABANDON|12|13|45",
    "1710408800|1710408413.4213|sales|NONE|EXITWITHTIMEOUT|11|14|300",
    "1710408800|1710408413.4213|sales|NONE|EXITEMPTY|11|14|300",
    "1710408800|1710408413.4213|sales|NONE|EXITWITHKEY|5|11|14|300",
    "1710408560|1710408413.4211|sales|PJSIP/1002|TRANSFER|2001|from-internal|27|60|11",
    "1710408560|1710408413.4211|sales|PJSIP/1002|BLINDTRANSFER|2001|from-internal|27|60|11",
    "1710408560|1710408413.4211|sales|PJSIP/1002|ATTENDEDTRANSFER|APP|Queue|27|60|11",
    "1710408428|1710408413.4211|sales|PJSIP/1001|RINGNOANSWER|15000",
    "1710400000|NONE|NONE|Agent/1001|AGENTLOGIN|PJSIP/1001-00000001",
    "1710400000|NONE|NONE|Agent/1001|AGENTCALLBACKLOGIN|1001@agents",
    "1710430000|NONE|NONE|Agent/1001|AGENTLOGOFF|PJSIP/1001-00000001|30000",
    "1710430000|NONE|NONE|Agent/1001|AGENTCALLBACKLOGOFF|1001@agents|30000",
    "1710420000|1710420000.77|callback|Agent/1127|OUTDIAL|0212345678",
    "1710420200|1710420000.77|callback|PJSIP/1127|OUTCALL|ANSWER|95",
]


def test_every_mapped_verb_has_a_layout_and_a_complete_line_here() -> None:
    assert set(LAYOUTS) == set(MAPPERS)
    for line in COMPLETE_LINES:
        assert isinstance(parse_line(line), Mapped), line


@given(line=st.sampled_from(COMPLETE_LINES), data=st.data())
def test_a_line_cut_anywhere_before_its_last_field_is_never_published(
    line: str, data: st.DataObject
) -> None:
    last_separator = line.rindex("|")
    cut = data.draw(st.integers(0, last_separator), label="cut")

    assert not isinstance(parse_line(line[:cut]), Mapped)


# Property tests: no input crashes the parser; each line gives exactly one typed outcome.

field = st.text(alphabet=st.characters(blacklist_characters="|\n\r"), max_size=12)
verbs = st.sampled_from(sorted({*MAPPERS, *IGNORED_VERBS, "CALLERONHOLD", "", "connect"}))
numbers = st.one_of(
    st.integers(-10, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    field,
)


@given(st.text(max_size=300))
def test_no_text_at_all_crashes_the_parser(line: str) -> None:
    outcome = parse_line(line)

    assert isinstance(outcome, Mapped | Ignored | Unknown | Rejected)
    if isinstance(outcome, Rejected):
        assert outcome.detail


@given(
    epoch=numbers,
    uniqueid=st.one_of(st.sampled_from(["NONE", "REALTIME", "MANAGER", ""]), field),
    queue=st.one_of(st.just("NONE"), field),
    agent=st.one_of(st.just("NONE"), field),
    verb=verbs,
    data=st.lists(st.one_of(numbers, field), max_size=7),
)
def test_no_line_in_queue_log_shape_crashes_the_parser(
    epoch: str, uniqueid: str, queue: str, agent: str, verb: str, data: list[str]
) -> None:
    line = "|".join([epoch, uniqueid, queue, agent, verb, *data])

    outcome = parse_line(line)

    assert isinstance(outcome, Mapped | Ignored | Unknown | Rejected)
    assert parse_line(line) == outcome  # deterministic, event id included
