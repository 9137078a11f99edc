"""Telephony ingest: takes call events from the PBX middleware and publishes them on call-events."""
