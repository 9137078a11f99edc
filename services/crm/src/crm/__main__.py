"""Runs crm: `cc-crm` or `python -m crm`."""

from cc_runtime import run_service
from crm.app import create_app
from crm.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
