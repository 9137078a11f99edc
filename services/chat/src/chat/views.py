"""What the queue's routes answer and take: a request as an operator sees it, with its expiry
countdown, and the body of a decline."""

from datetime import datetime

from pydantic import BaseModel, Field

from cc_schemas import ContactChannel, ContactContext, ContactPriority, StrategicLevel
from chat.queue import ContactRequest, State, seconds_left


class RequestView(BaseModel):
    request_id: str
    state: State
    rule: str
    reason: str | None = Field(description="Why, in words for the operator")
    priority: ContactPriority
    strategic_level: StrategicLevel | None = Field(
        description="From the request when it carries one (crm is not consulted yet)"
    )
    channel: ContactChannel
    session_id: str
    customer_id: str | None
    context: ContactContext
    requested_at: datetime
    expires_at: datetime
    seconds_left: int = Field(description="Countdown to expiry; 0 once expired")
    operator_id: str | None = Field(description="Who accepted or declined it")
    decided_at: datetime | None
    decline_reason: str | None


class QueueView(BaseModel):
    requests: list[RequestView] = Field(
        description="Most urgent first, then most strategic, then oldest"
    )
    at: datetime = Field(description="The time the countdowns are counted from")


class DeclineBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500, examples=["customer already on the phone"])


def request_view(request: ContactRequest, now: datetime) -> RequestView:
    return RequestView(
        request_id=request.request_id,
        state=request.state,
        rule=request.rule,
        reason=request.reason,
        priority=request.priority,
        strategic_level=request.strategic_level,
        channel=request.channel,
        session_id=request.session_id,
        customer_id=request.customer_id,
        context=request.context,
        requested_at=request.requested_at,
        expires_at=request.expires_at,
        seconds_left=seconds_left(request, now),
        operator_id=request.operator_id,
        decided_at=request.decided_at,
        decline_reason=request.decline_reason,
    )
