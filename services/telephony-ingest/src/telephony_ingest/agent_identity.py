"""One agent, one identity, whatever interface Asterisk names them by. Pure: no I/O.

Asterisk logs one person under several names: `ADDMEMBER Local/1127@callback-agent`,
`AGENTCALLBACKLOGIN Agent/1127`, a `PJSIP/1127-0000002a` channel in AMI. Reporting tools for
Asterisk count them as one agent, the extension after the technology; we do the same, so that
logged-in time, occupancy and answered calls add up per person. Names that follow no known
technology (a `membername` such as "Mario Rossi") are kept as they are, and configured aliases
map anything else (a named SIP peer, a second desk phone) to the agent it belongs to.
"""

import re
from collections.abc import Mapping

# Technologies whose resource is the agent's extension or agent number.
TECHNOLOGIES = ("Local", "Agent", "SIP", "PJSIP", "IAX2", "DAHDI")
_INTERFACE = re.compile(
    r"^(?P<technology>" + "|".join(TECHNOLOGIES) + r")/(?P<resource>[^@;/]+)",
    re.IGNORECASE,
)
# Asterisk's channel names add `-<8 hex digits>` to the device (PJSIP/1127-0000002a).
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}$", re.IGNORECASE)


class AgentIdentities:
    """Maps the names a PBX gives an agent to the one identity events carry in `agent_id`."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        # Aliases match case-insensitively on the name as logged, before any parsing.
        self.aliases = {name.strip().lower(): agent for name, agent in (aliases or {}).items()}

    def identity(self, name: str) -> str:
        """The agent's identity: an alias, else the extension of a known interface, else the
        name itself (stripped)."""
        name = name.strip()
        alias = self.aliases.get(name.lower())
        if alias is not None:
            return alias
        match = _INTERFACE.match(name)
        if match is None:
            return name
        resource = _CHANNEL_SUFFIX.sub("", match["resource"])
        return self.aliases.get(resource.lower(), resource) or name

    def optional(self, name: str | None) -> str | None:
        return None if name is None else self.identity(name)
