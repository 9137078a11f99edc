"""Runs chat: `cc-chat` or `python -m chat`."""

from cc_runtime import serve
from chat.app import create_app
from chat.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
