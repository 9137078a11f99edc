"""Who may call each route of knowledge: back-office editors and supervisors read the topic
candidates and start a mining run; operators do not edit the FAQ."""

from cc_runtime import BACK_OFFICE, SUPERVISOR, Access, requires

EDITORS = requires(BACK_OFFICE, SUPERVISOR)

ACCESS: dict[str, Access] = {
    "GET /v1/topics": EDITORS,
    "POST /v1/mining-runs": EDITORS,
}
