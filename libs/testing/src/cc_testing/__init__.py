"""Test harness of the platform: real servers, service processes and topic readers."""

from cc_testing.kafka import headers_of, produce, read_records
from cc_testing.processes import RunningService, service_process
from cc_testing.servers import Servers, free_ports, real_servers, service_environment
from cc_testing.waiting import eventually, eventually_async

__all__ = [
    "RunningService",
    "Servers",
    "eventually",
    "eventually_async",
    "free_ports",
    "headers_of",
    "produce",
    "read_records",
    "real_servers",
    "service_environment",
    "service_process",
]
