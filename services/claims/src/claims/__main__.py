"""Runs claims: `cc-claims` or `python -m claims`."""

from cc_runtime import serve
from claims.app import create_app
from claims.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
