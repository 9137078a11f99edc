"""Who may call each route of chat: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1).

Operators (supervisors are operators too) work the contact-request queue, in the console too.
The console's page and static files are public: they hold no data, and the page is where
people sign in; every fragment it loads takes the operator's bearer token.

The widget's start and invitation are public (a shop visitor has no account); they hand out a
chat token naming one chat, which the widget's other routes take (`Authorization: Chat ...`,
checked by the route's own guard: the signed-link kind, so any bearer token is refused)."""

from cc_runtime import OPERATOR, PEOPLE, PUBLIC, SUPERVISOR, Access, requires
from cc_runtime.access import SIGNED_LINK

ACCESS: dict[str, Access] = {
    "GET /v1/me": requires(*PEOPLE),
    "GET /v1/contact-requests": requires(OPERATOR),
    "GET /v1/contact-requests/{request_id}": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/accept": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/decline": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/offer/decline": requires(OPERATOR),
    "PUT /v1/presence": requires(OPERATOR),
    "GET /v1/presence": requires(OPERATOR),
    "GET /v1/chats": requires(OPERATOR),
    "GET /v1/chats/{chat_id}/messages": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/join": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/messages": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/end": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/attachments": requires(OPERATOR),
    "GET /v1/chats/{chat_id}/attachments/{attachment_id}": requires(OPERATOR),
    "POST /v1/widget/attachments": SIGNED_LINK,
    "GET /v1/widget/attachments/{attachment_id}": SIGNED_LINK,
    "POST /v1/chats/{chat_id}/transfer": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/typing": requires(OPERATOR),
    "POST /v1/widget/typing": SIGNED_LINK,
    "POST /console/chats/{chat_id}/typing": requires(OPERATOR),
    "POST /console/chats/{chat_id}/canned": requires(OPERATOR),
    "GET /v1/chats/{chat_id}/notes": requires(OPERATOR),
    "POST /v1/chats/{chat_id}/notes": requires(OPERATOR),
    "POST /v1/widget/chats": PUBLIC,
    "GET /v1/widget/wait": PUBLIC,
    "POST /v1/widget/left-messages": PUBLIC,
    "GET /v1/left-messages": requires(OPERATOR),
    "POST /v1/left-messages/{message_id}/answered": requires(OPERATOR),
    "GET /v1/widget/invitation": PUBLIC,
    "GET /v1/widget/messages": SIGNED_LINK,
    "POST /v1/widget/messages": SIGNED_LINK,
    "POST /v1/widget/end": SIGNED_LINK,
    "POST /v1/widget/csat": SIGNED_LINK,
    "GET /widget/demo": PUBLIC,
    "GET /widget/{name}": PUBLIC,
    "GET /console": PUBLIC,
    "GET /console/static/{name}": PUBLIC,
    "GET /console/queue": requires(OPERATOR),
    "POST /console/presence": requires(OPERATOR),
    "GET /console/presence": requires(OPERATOR),
    "GET /console/chats/{chat_id}/desk": requires(OPERATOR),
    "POST /console/chats/{chat_id}/notes": requires(OPERATOR),
    "POST /console/chats/{chat_id}/transfer": requires(OPERATOR),
    "GET /console/left-messages": requires(OPERATOR),
    "POST /console/left-messages/{message_id}/answered": requires(OPERATOR),
    "GET /console/pop": requires(OPERATOR),
    "GET /console/supervisor": PUBLIC,
    "GET /console/supervisor/board": requires(SUPERVISOR),
    "POST /console/supervisor/chats/{chat_id}/reassign": requires(SUPERVISOR),
    "POST /v1/supervisor/chats/{chat_id}/reassign": requires(SUPERVISOR),
    "POST /console/supervisor/requests/{request_id}/assign": requires(SUPERVISOR),
    "POST /v1/supervisor/requests/{request_id}/assign": requires(SUPERVISOR),
    "GET /console/pop/search": requires(OPERATOR),
    "POST /console/requests/{request_id}/accept": requires(OPERATOR),
    "POST /console/decline": requires(OPERATOR),
    "GET /console/chats": requires(OPERATOR),
    "GET /console/chats/{chat_id}": requires(OPERATOR),
    "GET /console/chats/{chat_id}/messages": requires(OPERATOR),
    "POST /console/chats/{chat_id}/messages": requires(OPERATOR),
    "POST /console/chats/{chat_id}/join": requires(OPERATOR),
    "POST /console/chats/{chat_id}/end": requires(OPERATOR),
}
