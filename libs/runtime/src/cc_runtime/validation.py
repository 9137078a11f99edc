"""422 answers for bodies that do not parse, for every service.

FastAPI's own 422 answer echoes the offending input, and fails to encode it (a 500) when the
body is not UTF-8 or holds Infinity or NaN, which Python's JSON parser takes: bad input must
get its 4xx with the reason, whatever bytes it is made of."""

import json
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_refused(request: Request, error: Exception) -> Response:
    """422 with the reasons, as FastAPI answers, save that an input JSON cannot carry is shown
    in words."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {**problem, "input": printable(problem["input"])} if "input" in problem else problem
        for problem in error.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(problems)}, status_code=422)


def printable(value: Any) -> Any:
    """The input as JSON can carry it: bad UTF-8 replaced, and what JSON has no words for
    (Infinity, NaN) in Python's."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        json.dumps(jsonable_encoder(value), allow_nan=False)
    except ValueError:
        return repr(value)[:200]
    return value
