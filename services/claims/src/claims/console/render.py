"""How the back-office screen's fragments are made: templates rendered in the person's language,
the notice said in the page's live region, and what the API answered turned into words."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from claims.console.words import WORDS, language, span

templates = Environment(
    loader=PackageLoader("claims.console", "templates"),
    autoescape=select_autoescape(["html"]),
)


def lang_of(request: Request, lang: str | None) -> str:
    return language(lang, request.headers.get("accept-language"))


def html(
    template: str,
    lang: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    body = templates.get_template(template).render(
        lang=lang, t=WORDS[lang], span=lambda s: span(s, lang), kib=kib, **values
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def refusal(text: str, lang: str, status: int) -> HTMLResponse:
    """A refusal (404, 409, 422, or a 403 for another team's ticket) said in the live region,
    whatever the form aimed at: console.js shows these statuses rather than failing."""
    headers = {"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"}
    if status == 403:
        headers["X-Console-Refusal"] = "scope"  # a worded refusal, not a sign-in problem
    return html("notice.html", lang, status, headers, kind="refused", text=text)


def reason_of(answer: Any) -> str:
    """The API's `detail`: a sentence, or pydantic's list of errors said as one."""
    detail = answer.get("detail") if isinstance(answer, dict) else answer
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in detail
        )
    return str(detail)


def if_match(version: int) -> str:
    """The hx-headers of a ticket's panel: every form in it sends the version shown."""
    return json.dumps({"If-Match": f'"{version}"'})


def deadline(due_at: str | None, now: datetime, lang: str) -> tuple[str, bool]:
    """The countdown to an SLA deadline and whether it has passed."""
    t = WORDS[lang]
    if not due_at:
        return str(t["no_deadline"]), False
    left = (datetime.fromisoformat(due_at) - now).total_seconds()
    if left < 0:
        return str(t["overdue"]).format(span=span(left, lang)), True
    return str(t["due_in"]).format(span=span(left, lang)), False


def when(at: str | None, lang: str, zone: ZoneInfo) -> str:
    """An instant as the screen shows it: in the service's zone, to the minute."""
    if not at:
        return ""
    moment = datetime.fromisoformat(at).astimezone(zone)
    return moment.strftime("%d/%m/%Y %H:%M %Z" if lang == "it" else "%Y-%m-%d %H:%M %Z")


def kib(size: int) -> str:
    """A file's size as people read it."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
