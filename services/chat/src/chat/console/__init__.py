"""The operators' console, served by chat: one page (public: it holds no data), its static
files, and the HTML fragments htmx swaps into it (the queue, the answer to accept and
decline), each guarded as the JSON API is (an operator's bearer token, which console.js sends).

Server-rendered pages with htmx rather than a single-page app: the queue's order, countdowns
and refusals are decided and worded once, in Python, and shown as they are; the browser holds
only the sign-in (console.js) and no build step stands between a change and the page."""

from chat.console.chat_routes import console_chats_router
from chat.console.desk_routes import console_desk_router
from chat.console.left_routes import console_left_router
from chat.console.presence_routes import console_presence_router
from chat.console.routes import console_router

__all__ = [
    "console_chats_router",
    "console_desk_router",
    "console_left_router",
    "console_presence_router",
    "console_router",
]
