"""Call events, topic `call-events`, key `call_id`: one queue call's life as the PBX reports it.

Modelled on Asterisk's queue_log verbs and AMI queue events, which most PBX middleware mirrors.
Beware the naming clash: queue_log's "holdtime" is time waiting in the queue, here `wait_seconds`;
our `hold_seconds` is time the caller was put on hold during the conversation.

Outbound calls (a dialler's or a proactive call-back's) have three events of their own,
`call.outbound_dialled`, `call.outbound_answered` and `call.outbound_ended` (with an
`OutboundOutcome`), so that consumers of the inbound lifecycle never mistake them for queue calls.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.envelope import Event, EventPart, Id, Name, Seconds

Position = Annotated[int, Field(ge=1, description="1-based place in the queue")]


class TransferKind(StrEnum):
    BLIND = "blind"
    ATTENDED = "attended"
    UNKNOWN = "unknown"


class EndedBy(StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    TRANSFER = "transfer"
    UNKNOWN = "unknown"


class ExitReason(StrEnum):
    TIMEOUT = "timeout"  # EXITWITHTIMEOUT: the queue's maximum wait elapsed
    EMPTY = "empty"  # EXITEMPTY: no agents logged in / available
    KEY = "key"  # EXITWITHKEY: the caller pressed a key to leave
    UNKNOWN = "unknown"


class OutboundOutcome(StrEnum):
    """How an outbound attempt ended; the unanswered ones follow Asterisk's DIALSTATUS."""

    COMPLETED = "completed"  # answered, then hung up
    TRANSFERRED = "transferred"  # answered, then transferred by the agent
    CANCELLED = "cancelled"  # given up before the callee answered
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"  # CHANUNAVAIL: the channel could not be reached
    CONGESTION = "congestion"  # the network or trunk was congested
    UNKNOWN = "unknown"


class Caller(EventPart):
    """Who called, as received and as far as it could be normalised."""

    number_raw: str = Field(
        description="Caller id exactly as the PBX sent it; may be empty or a word.",
        examples=["004930123456", "anonymous", ""],
    )
    e164: str | None = Field(
        default=None,
        pattern=r"^\+[1-9][0-9]{1,14}$",
        description="The number in E.164 form, or null when withheld or not a valid number.",
        examples=["+4930123456"],
    )
    name: str | None = Field(default=None, description="Caller id name, when the PBX logs one.")
    withheld: bool = Field(default=False, description="The caller withheld their number.")
    invalid: bool = Field(default=False, description="A number was sent but is not valid.")


class CallEvent(Event):
    call_id: Id = Field(
        description="The PBX's id of the caller's channel (Asterisk uniqueid / linkedid).",
        examples=["1710408413.4211"],
    )
    queue: Name | None = Field(default=None, description="Queue name; null when not known.")
    interface: Name | None = Field(
        default=None,
        description=(
            "The agent's member interface exactly as the PBX named it, when the event names an "
            "agent; `agent` then carries the agent's identity (see agent-events `agent_id`)."
        ),
        examples=["Local/1127@callback-agent", "PJSIP/1001"],
    )
    pbx_agent: Name | None = Field(
        default=None,
        description=(
            "The agent's identity on the PBX (from `interface`), when `agent` names the person "
            "by their sign-in subject (one identity per person); null when `agent` is itself "
            "the PBX identity (a person telephony-ingest's directory does not know) or the "
            "event names no agent."
        ),
        examples=["1127"],
    )


class CallOffered(CallEvent):
    """The call entered a queue (ENTERQUEUE / QueueCallerJoin)."""

    event_type: Literal["call.offered"] = "call.offered"
    queue: Id
    caller: Caller
    called_number: str | None = Field(
        default=None, description="The number dialled (DNIS), as received.", examples=["0800123"]
    )
    position: Position | None = None


class CallRinging(CallEvent):
    """An agent's phone rings for the call (AgentCalled)."""

    event_type: Literal["call.ringing"] = "call.ringing"
    agent: Id = Field(
        description="The person's sign-in subject, else the agent's PBX identity.",
        examples=["8d0e6c1a-4f1e-4c7b-9a51-3f0b2d7e1127", "1127"],
    )


class CallRingNoAnswer(CallEvent):
    """An agent let the call ring without answering (RINGNOANSWER / AgentRingNoAnswer)."""

    event_type: Literal["call.ring_no_answer"] = "call.ring_no_answer"
    agent: Id
    ring_seconds: Seconds = Field(
        description="How long it rang (queue_log RINGNOANSWER logs milliseconds)."
    )


class CallAnswered(CallEvent):
    """An agent answered (CONNECT / AgentConnect)."""

    event_type: Literal["call.answered"] = "call.answered"
    agent: Id
    wait_seconds: Seconds = Field(description="Time in queue before the answer (holdtime).")
    ring_seconds: Seconds | None = Field(default=None, description="Time the agent's phone rang.")
    agent_call_id: str | None = Field(
        default=None, description="Uniqueid of the agent's bridged channel, when known."
    )


class CallTransferred(CallEvent):
    """The agent transferred the call (TRANSFER / BLINDTRANSFER / ATTENDEDTRANSFER)."""

    event_type: Literal["call.transferred"] = "call.transferred"
    kind: TransferKind
    agent: Name | None = Field(default=None, description="The agent who transferred.")
    target_extension: str | None = None
    target_context: str | None = None
    target_queue: Name | None = None
    target_agent: Name | None = None
    wait_seconds: Seconds
    talk_seconds: Seconds = Field(description="Talk time with the transferring agent.")


class CallEnded(CallEvent):
    """An answered call ended (COMPLETECALLER / COMPLETEAGENT / AgentComplete)."""

    event_type: Literal["call.ended"] = "call.ended"
    agent: Id
    wait_seconds: Seconds
    talk_seconds: Seconds
    hold_seconds: Seconds | None = Field(
        default=None, description="Time on hold during the conversation (not queue wait)."
    )
    wrapup_seconds: Seconds | None = Field(
        default=None, description="After-call work, when the PBX reports it."
    )
    ended_by: EndedBy


class CallAbandoned(CallEvent):
    """The caller hung up while waiting (ABANDON / QueueCallerAbandon)."""

    event_type: Literal["call.abandoned"] = "call.abandoned"
    queue: Id
    wait_seconds: Seconds
    position: Position
    original_position: Position | None = None


class CallExited(CallEvent):
    """The call left the queue unanswered (EXITWITHTIMEOUT / EXITEMPTY / EXITWITHKEY)."""

    event_type: Literal["call.exited"] = "call.exited"
    queue: Id
    reason: ExitReason
    key: str | None = Field(default=None, description="DTMF key pressed.", examples=["0", "#"])
    wait_seconds: Seconds
    position: Position
    original_position: Position | None = None


class CallOutboundDialled(CallEvent):
    """An outbound attempt started: the dialler or an agent dials a customer (OUTDIAL)."""

    event_type: Literal["call.outbound_dialled"] = "call.outbound_dialled"
    agent: Name | None = Field(
        default=None, description="The agent the call is placed for, when known.", examples=["1127"]
    )
    campaign: Name | None = Field(
        default=None,
        description="Dialler campaign or call-back list, when named apart from `queue`.",
    )
    dialled: Caller = Field(description="The number dialled, normalised like a caller's number.")


class CallOutboundAnswered(CallEvent):
    """The customer answered an outbound attempt: the agent is connected (OUTANSWER)."""

    event_type: Literal["call.outbound_answered"] = "call.outbound_answered"
    agent: Name | None = Field(default=None, examples=["1127"])
    campaign: Name | None = None
    dialled: Caller | None = Field(default=None, description="The number dialled, when logged.")
    ring_seconds: Seconds | None = Field(
        default=None, description="Time from the dial to the answer, when logged."
    )


class CallOutboundEnded(CallEvent):
    """An outbound attempt ended: answered and completed or transferred, or never answered."""

    event_type: Literal["call.outbound_ended"] = "call.outbound_ended"
    agent: Name | None = Field(default=None, examples=["1127"])
    campaign: Name | None = None
    outcome: OutboundOutcome
    connected: bool = Field(
        description="The customer answered (outcome completed or transferred, or talk time > 0)."
    )
    dialled: Caller | None = Field(default=None, description="The number dialled, when logged.")
    ring_seconds: Seconds | None = Field(
        default=None, description="Time from the dial to the answer or the give-up, when logged."
    )
    talk_seconds: Seconds | None = Field(
        default=None, description="Talk time with the customer, when logged; 0 when not connected."
    )
    target: str | None = Field(
        default=None, description="Where the call was transferred to (outcome transferred)."
    )


AnyCallEvent = Annotated[
    CallOffered
    | CallRinging
    | CallRingNoAnswer
    | CallAnswered
    | CallTransferred
    | CallEnded
    | CallAbandoned
    | CallExited
    | CallOutboundDialled
    | CallOutboundAnswered
    | CallOutboundEnded,
    Field(discriminator="event_type"),
]
