"""Runs crm: `cc-crm` or `python -m crm`."""

from cc_runtime import serve
from crm.app import create_app
from crm.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
