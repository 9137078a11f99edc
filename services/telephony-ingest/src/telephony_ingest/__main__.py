"""Runs telephony-ingest: `cc-telephony-ingest` or `python -m telephony_ingest`."""

from cc_runtime import run_service
from telephony_ingest.app import create_app
from telephony_ingest.settings import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()
