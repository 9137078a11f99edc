"""Runs proactive-engine: `cc-proactive-engine` or `python -m proactive_engine`."""

from cc_runtime import run_service
from proactive_engine.app import create_app
from proactive_engine.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
