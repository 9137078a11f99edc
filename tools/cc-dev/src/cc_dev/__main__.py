"""Runs the developer tool: `cc-dev` or `python -m cc_dev`."""

from cc_dev.cli import main as run_cli


def main() -> None:
    run_cli()


if __name__ == "__main__":
    main()
