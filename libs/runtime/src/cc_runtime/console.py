"""What every console (chat's operators' console, claims' back-office screen) serves the
browser alike: the sign-in script (console.js: OpenID Connect code + PKCE, the bearer token on
every htmx request), htmx, the base stylesheet and icon, beside the service's own files under
`/console/static/`; and the content policy of a console page."""

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Response

HTMX = "htmx-2.0.11.min.js"
SHARED_STATIC = {
    "console.js": "text/javascript",
    "console.css": "text/css",
    HTMX: "text/javascript",
    "favicon.svg": "image/svg+xml",
}


def console_static_router(own: Traversable, own_files: Mapping[str, str]) -> APIRouter:
    """`GET /static/{name}`, for the console's router (prefix `/console`) to include: the
    shared files, then the service's `own_files` (name -> media type) from its `own`
    directory; a service's file may not shadow a shared one."""
    clash = set(own_files) & set(SHARED_STATIC)
    if clash:
        raise ValueError(f"{sorted(clash)} are the shared console's files")
    shared = files("cc_runtime") / "console_static"
    router = APIRouter()

    @router.get("/static/{name}", summary="The console's scripts, styles and htmx")
    async def static(name: str) -> Response:
        if name in SHARED_STATIC:
            where, media_type = shared, SHARED_STATIC[name]
        elif name in own_files:
            where, media_type = own, own_files[name]
        else:
            raise HTTPException(404, detail=f"no static file {name!r}")
        content = (where / name).read_bytes()
        return Response(content, media_type=media_type, headers={"Cache-Control": "max-age=300"})

    return router


def content_policy(issuer: str) -> str:
    """The page runs only its own scripts and styles, and talks only to its service and the
    identity provider (discovery and the token endpoint): an injected script or style has no
    effect."""
    parts = urlsplit(issuer)
    provider = f"{parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self' {provider}; form-action 'self'; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'none'"
    )
