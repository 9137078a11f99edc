"""Where the tests' identity provider comes from: an issuer in the environment comes first; a
local Keycloak that cannot start says why."""

import pytest

from cc_testing.identity import identity_provider


def test_an_issuer_in_the_environment_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC_TEST_OIDC_ISSUER", "https://sso.example/realms/contact-centre/")

    with identity_provider() as provider:
        pass

    assert (provider.issuer, provider.origin) == (
        "https://sso.example/realms/contact-centre",
        "environment",
    )
    assert provider.token_url.endswith("/realms/contact-centre/protocol/openid-connect/token")


def test_a_local_keycloak_that_cannot_start_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CC_TEST_OIDC_ISSUER", raising=False)
    monkeypatch.setattr("cc_testing.identity.docker_engine_answers", lambda: False)
    monkeypatch.setenv("CC_KEYCLOAK_JAVA_HOME", "/nonexistent-jdk")
    monkeypatch.setenv("CC_CACHE_DIR", "/nonexistent-cache")

    with pytest.raises(RuntimeError, match="Keycloak needs Java 21"), identity_provider():
        pass
