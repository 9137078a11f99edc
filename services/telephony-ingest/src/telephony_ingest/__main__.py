"""Runs telephony-ingest: `cc-telephony-ingest` or `python -m telephony_ingest`."""

from cc_runtime import serve
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
