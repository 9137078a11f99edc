"""Who may call each route of knowledge: back-office editors and supervisors read the topic
candidates, start a mining run and approve or reject candidates; operators do not edit the FAQ;
anyone searches the approved FAQ."""

from cc_runtime import BACK_OFFICE, PUBLIC, SUPERVISOR, Access, requires

EDITORS = requires(BACK_OFFICE, SUPERVISOR)

ACCESS: dict[str, Access] = {
    "GET /v1/topics": EDITORS,
    "POST /v1/mining-runs": EDITORS,
    "POST /v1/topics/{topic_id}/approve": EDITORS,
    "POST /v1/topics/{topic_id}/reject": EDITORS,
    # The shop's FAQ page and the chat widget ask before anyone signs in.
    "GET /v1/faq/search": PUBLIC,
}
