"""cc-dev: the platform developers' command-line tool (topics, record, replay, simulate, import)."""
