"""Test harness of the platform: real servers, service processes, topic readers, test tokens
and the route walk of access tables."""

from cc_testing.access import Call, walk_routes
from cc_testing.identity import IdentityProvider
from cc_testing.kafka import headers_of, produce, read_records
from cc_testing.processes import RunningService, service_process
from cc_testing.servers import Servers, free_ports, real_servers, service_environment
from cc_testing.tokens import TestIssuer
from cc_testing.waiting import eventually, eventually_async

__all__ = [
    "Call",
    "IdentityProvider",
    "RunningService",
    "Servers",
    "TestIssuer",
    "eventually",
    "eventually_async",
    "free_ports",
    "headers_of",
    "produce",
    "read_records",
    "real_servers",
    "service_environment",
    "service_process",
    "walk_routes",
]
