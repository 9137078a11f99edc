"""Reading PostgreSQL's query plans in tests, so that a hot query's test names the index it uses."""

import json
from collections.abc import Iterator
from typing import Any


async def indexes_used(connection: Any, sql: str, *args: object) -> set[str]:
    """The indexes the plan of `sql` reads, on an `asyncpg.Connection`.

    Sequential scans are priced out for the one EXPLAIN: a test's tables are too small for the
    planner to prefer an index, and the question is whether the query can use one at all."""
    async with connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        found = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    plan = json.loads(found) if isinstance(found, str) else found
    return {node["Index Name"] for node in _nodes(plan[0]["Plan"]) if "Index Name" in node}


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)
