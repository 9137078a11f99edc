"""Runs kpi: `cc-kpi` or `python -m kpi`."""

from cc_runtime import run_service
from kpi.app import create_app
from kpi.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
