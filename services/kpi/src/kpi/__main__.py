"""Runs kpi: `cc-kpi` or `python -m kpi`."""

from cc_runtime import serve
from kpi.app import create_app
from kpi.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
