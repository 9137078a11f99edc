"""Runs proactive-engine: `cc-proactive-engine` or `python -m proactive_engine`."""

from cc_runtime import serve
from proactive_engine.app import create_app
from proactive_engine.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
