"""How the console's fragments are made: a template rendered in the operator's language, and
the notice said in the page's live region (with the htmx events it sets off)."""

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from chat.console.messages import MESSAGES, language

templates = Environment(
    loader=PackageLoader("chat.console", "templates"),
    autoescape=select_autoescape(["html"]),
)


def lang_of(request: Request, lang: str | None) -> str:
    return language(lang, request.headers.get("accept-language"))


def html(template: str, lang: str, status: int = 200, **values: object) -> HTMLResponse:
    body = templates.get_template(template).render(lang=lang, t=MESSAGES[lang], **values)
    return HTMLResponse(body, status_code=status)


def notice(
    kind: str,
    text: str,
    lang: str,
    *,
    triggers: str,
    more: str = "",
    status: int = 200,
    **values: object,
) -> HTMLResponse:
    """The notice, and `HX-Trigger: triggers` (comma-separated events the page refreshes on)."""
    response = html("notice.html", lang, status, kind=kind, text=text, more=more, **values)
    response.headers["HX-Trigger"] = triggers
    return response
