"""Runs knowledge: `cc-knowledge` or `python -m knowledge`."""

from cc_runtime import run_service
from knowledge.app import create_app
from knowledge.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
