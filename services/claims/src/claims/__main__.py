"""Runs claims: `cc-claims` or `python -m claims`."""

from cc_runtime import run_service
from claims.app import create_app
from claims.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
