"""Optimistic versioning over HTTP: a write carries `If-Match: "<version>"`, the version (ETag)
its caller read; of two writes on one version exactly one wins, the other is a 409 with what
is there now. Without If-Match a write is 428."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

IfMatch = Annotated[
    str | None,
    Header(description='The version (ETag) of what was read, e.g. `"3"`.'),
]
VERSIONED: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such record"},
    409: {"description": "another write came first: the body holds the current version"},
    428: {"description": "If-Match missing"},
}


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(428, detail='send If-Match: "<version>" with the version you read')
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise HTTPException(422, detail=f"If-Match {if_match!r} is not a version")
    return int(text)


def versioned(view: BaseModel, version: int, status: int = 200) -> JSONResponse:
    return JSONResponse(
        view.model_dump(mode="json"), status_code=status, headers={"ETag": etag(version)}
    )


def stale(what: str, current: BaseModel, version: int) -> JSONResponse:
    body: dict[str, Any] = {
        "detail": f"{what} changed since you read it: it is at version {version}",
        "reason": "conflict",
        "current": current.model_dump(mode="json"),
    }
    return JSONResponse(body, status_code=409, headers={"ETag": etag(version)})
