"""Every route of chat answers as its access table says (the route walk, on the real servers),
and /v1/me gives the console the signed-in person's identity and attributes."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, Kind, operations_access
from cc_testing import TestIssuer, walk_routes
from chat.access import ACCESS
from chat.app import create_app
from chat.settings import Settings
from chat.tokens import ChatTokens

ISSUER = TestIssuer()


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    tokens = ChatTokens(Settings().chat_token_secret.get_secret_value(), timedelta(hours=1))
    chat_token = {"Authorization": f"Chat {tokens.sign('no-such-chat')}"}
    signed = {Kind.SIGNED_LINK: lambda key, path: {"headers": chat_token, "json": {}}}

    calls = walk_routes(client, table, ISSUER, signed)

    assert {(str(c.key), c.status) for c in calls if c.credentials == "signed-link"} == {
        ("GET /v1/widget/messages", 404),  # a token of ours, for a chat that does not exist
        ("POST /v1/widget/messages", 422),  # no text
        ("POST /v1/widget/end", 404),
        ("POST /v1/widget/typing", 404),
        ("POST /v1/widget/csat", 422),  # no score
        ("POST /v1/widget/attachments", 422),  # no file
        ("GET /v1/widget/attachments/{attachment_id}", 404),
    }
    answers = {(str(c.key), c.credentials, c.status) for c in calls}
    assert ("GET /v1/me", "none", 401) in answers
    assert ("GET /v1/me", "role metrics", 403) in answers
    assert ("GET /v1/me", "role back-office", 200) in answers
    assert ("GET /v1/contact-requests", "none", 401) in answers
    assert ("GET /v1/contact-requests", "role back-office", 403) in answers
    assert ("GET /v1/contact-requests", "role operator", 200) in answers


def test_me_is_the_signed_in_operator_with_the_attributes_of_the_identity(
    client: TestClient,
) -> None:
    headers = ISSUER.bearer(
        ["operator"],
        subject="5b0c7e1a-giulia",
        preferred_username="giulia",
        name="Giulia Russo",
        team="customer-care",
        skills=["orders", "returns"],
        languages=["it", "en"],
        chat_seat_limit=3,
        extension="1127",
        pbx_agent_ids=["PJSIP/1127", "Agent/1127"],
    )

    me = client.get("/v1/me", headers=headers).json()

    assert me == {
        "subject": "5b0c7e1a-giulia",
        "username": "giulia",
        "name": "Giulia Russo",
        "roles": ["operator"],
        "team": "customer-care",
        "skills": ["orders", "returns"],
        "languages": ["it", "en"],
        "chat_seat_limit": 3,
        "extension": "1127",
        "pbx_agent_ids": ["PJSIP/1127", "Agent/1127"],
    }
