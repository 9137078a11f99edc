"""Route -> handler, nothing more: the customer import (admin)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from crm.customer_csv import COLUMNS, BadHeader
from crm.handlers import ImportLimits, import_csv
from crm.repository import CustomerRepository
from crm.settings import Settings


def customer_routes(settings: Settings, repository: CustomerRepository) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["customers"])
    limits = ImportLimits(
        batch_rows=settings.import_batch_rows,
        rejections_listed=settings.import_rejections_listed,
    )

    @router.post(
        "/customers/imports",
        summary="Import customers from CSV (streamed; rejected rows reported, the rest imported)",
        description=(
            "The body is the CSV itself (`Content-Type: text/csv`, UTF-8), read as it arrives. "
            f"Columns, named by the header line: {', '.join(COLUMNS)}; several values in a cell "
            "are separated by `|`. Each row is stored or rejected with its line number and "
            "reason; customers already known are updated. 422 when the header lacks "
            "`customer_id`."
        ),
    )
    async def import_customers(request: Request) -> dict[str, Any]:
        try:
            report = await import_csv(
                request.stream(),
                repository,
                settings.default_region,
                datetime.now(UTC),
                limits,
            )
        except BadHeader as error:
            raise HTTPException(422, detail=str(error)) from None
        return asdict(report)

    return router
