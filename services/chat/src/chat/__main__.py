"""Runs chat: `cc-chat` or `python -m chat`."""

from cc_runtime import run_service
from chat.app import create_app
from chat.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
