"""Who calls a service: the platform's roles, their hierarchy, and the `Principal` a verified
token names (its subject, roles and the attributes that live with the identity)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATOR = "operator"
SUPERVISOR = "supervisor"
BACK_OFFICE = "back-office"
ADMIN = "admin"
# A machine role: Prometheus' client, to scrape /metrics where it is not open.
METRICS = "metrics"
ROLES = (OPERATOR, SUPERVISOR, BACK_OFFICE, ADMIN, METRICS)
PEOPLE = (OPERATOR, SUPERVISOR, BACK_OFFICE, ADMIN)

# What a role grants besides itself (issue 16's table): a supervisor may do everything an
# operator may. `admin` (configuration, imports, users and roles, GDPR) and `back-office` grant
# only themselves: an administrator who also works the queues is given those roles as well.
IMPLIES: Mapping[str, frozenset[str]] = {SUPERVISOR: frozenset({OPERATOR})}

# Token claims that carry the identity's attributes (Keycloak's protocol mappers put the user
# attributes there; another provider has to emit the same names). Each is optional: a person
# without one gets the Principal's default (no values, or None where the service decides, as
# chat does for the seat limit with CHAT_SEAT_LIMIT).
LIST_ATTRIBUTES = ("skills", "languages", "pbx_agent_ids")
TEXT_ATTRIBUTES = ("team", "extension", "chat_seat_limit")


def effective_roles(granted: Iterable[str]) -> frozenset[str]:
    """The granted roles with every role they imply."""
    roles = set(granted)
    pending = list(roles)
    while pending:
        for implied in IMPLIES.get(pending.pop(), frozenset()):
            if implied not in roles:
                roles.add(implied)
                pending.append(implied)
    return frozenset(roles)


@dataclass(frozen=True)
class Principal:
    """A signed-in person or machine client. `subject` is the one id of a person in every
    event and report; `roles` include the implied ones; `granted` are the token's own."""

    subject: str
    granted: frozenset[str]
    name: str | None = None
    username: str | None = None
    client_id: str | None = None  # the OAuth client the token was issued to (`azp`)
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        return effective_roles(self.granted)

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def role(self) -> str | None:
        """The most senior role granted, for an audit record that names one."""
        senior_first = (ADMIN, SUPERVISOR, BACK_OFFICE, OPERATOR, METRICS)
        return next((r for r in senior_first if r in self.granted), None)

    def attribute(self, name: str) -> str | None:
        values = self.attributes.get(name, ())
        return values[0] if values else None

    @property
    def team(self) -> str | None:
        return self.attribute("team")

    @property
    def skills(self) -> tuple[str, ...]:
        return self.attributes.get("skills", ())

    @property
    def languages(self) -> tuple[str, ...]:
        return self.attributes.get("languages", ())

    @property
    def pbx_agent_ids(self) -> tuple[str, ...]:
        return self.attributes.get("pbx_agent_ids", ())

    @property
    def extension(self) -> str | None:
        return self.attribute("extension")

    @property
    def chat_seat_limit(self) -> int | None:
        """Chats the person takes at once; None when the identity does not say (or says
        something that is not a whole number): the service's default applies."""
        value = (self.attribute("chat_seat_limit") or "").strip()
        return int(value) if value.isascii() and value.isdigit() else None


def principal_from_claims(claims: Mapping[str, Any], roles_claim: str) -> Principal:
    """The principal of a verified token's claims; roles are read at the dotted `roles_claim`
    path (`realm_access.roles` for Keycloak, `roles` or `groups` elsewhere)."""
    return Principal(
        subject=str(claims["sub"]),
        granted=frozenset(_strings(claim_at(claims, roles_claim))),
        name=_text(claims.get("name")),
        username=_text(claims.get("preferred_username")),
        client_id=_text(claims.get("azp")),
        attributes={
            name: _values(claims[name])
            for name in (*LIST_ATTRIBUTES, *TEXT_ATTRIBUTES)
            if claims.get(name) is not None
        },
    )


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of nested claims, or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    """A claim's values: a JSON list, or one string (space- or comma-separated for roles
    written as OAuth scopes are)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [part for part in str(value).replace(",", " ").split() if part]


def _values(value: Any) -> tuple[str, ...]:
    """An attribute's values: a JSON list, or one value kept whole (a team name has spaces)."""
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v is not None)
    return (str(value),)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
