"""cc-dev import-customers streams a CSV to crm on the real servers: the progress reaches the
file's size, the report names rejected rows by line, the customers are stored."""

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cc_dev.customers import import_customers
from cc_dev.errors import HttpError
from cc_testing import TestIssuer
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


class Recorded:
    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def begin(self, total: int | None) -> None:
        self.total = total

    def advance(self, done: int) -> None:
        self.done += done


def test_a_customer_csv_is_streamed_with_progress_and_its_report_returned(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    rows = [f"C-{n},Name {n},+39 347 {n:07d}\n" for n in range(1, 3001)]
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,first_name,phones\n" + "".join(rows) + "C-x,Bad,12ab\n")
    progress = Recorded()
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]

    with TestClient(create_app(settings)) as client:
        report = import_customers(client, path, token=ISSUER.token(["admin"]), progress=progress)
        with pytest.raises(HttpError, match="answered 403"):
            import_customers(client, path, token=ISSUER.token(["operator"]), progress=Recorded())

    assert (progress.total, progress.done) == (path.stat().st_size, path.stat().st_size)
    assert (report["rows"], report["imported"], report["rejected"]) == (3001, 3000, 1)
    assert report["rejections"][0]["line"] == 3002
