"""Settings every service shares, read from the environment with working local defaults.

Infrastructure addresses use one set of `CC_*` variables for all services; a service's own
settings use its prefix (`KPI_HTTP_PORT`). `CC_NAMESPACE` isolates topics, consumer groups
and PostgreSQL schemas, so tests and parallel demos never see each other's data.
"""

from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _shared(name: str) -> AliasChoices:
    return AliasChoices(f"CC_{name}")


def schema_name(service: str, namespace: str) -> str:
    """The PostgreSQL schema a service owns: its name, in its namespace (`t42_telephony_ingest`)."""
    base = service.replace("-", "_")
    return f"{namespace}_{base}" if namespace else base


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set `service_name` and their env prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: ClassVar[str] = "service"

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=_shared("KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka brokers, host:port[,host:port...].",
    )
    namespace: str = Field(
        "",
        validation_alias=_shared("NAMESPACE"),
        pattern=r"^[a-z0-9_]*$",
        description="Prefix of topics, consumer groups and PostgreSQL schemas, to run isolated "
        "copies side by side.",
    )
    topic_partitions: int = Field(
        6,
        ge=1,
        validation_alias=_shared("TOPIC_PARTITIONS"),
        description="Partitions of the topics the service creates at start-up.",
    )
    log_level: str = Field(
        "INFO", validation_alias=_shared("LOG_LEVEL"), description="Log level (JSON on stderr)."
    )
    consumer_max_attempts: int = Field(
        3,
        ge=1,
        validation_alias=_shared("CONSUMER_MAX_ATTEMPTS"),
        description="Tries of a failing message before it is dead-lettered.",
    )
    # The local stack's role and database (deploy/local/stack); a managed server is one URL.
    postgres_url: str = Field(
        "postgresql://contact_centre:contact_centre@127.0.0.1:5432/contact_centre",
        validation_alias=_shared("POSTGRES_URL"),
        description="PostgreSQL, postgresql://user:password@host:port/database.",
    )
    postgres_pool_size: int = Field(
        10,
        ge=1,
        validation_alias=_shared("POSTGRES_POOL_SIZE"),
        description="Most connections a service instance holds open to PostgreSQL.",
    )
    consumer_backoff_seconds: float = Field(
        0.2,
        gt=0,
        validation_alias=_shared("CONSUMER_BACKOFF_SECONDS"),
        description="First retry delay, doubled at each try.",
    )

    platform_environment: Literal["development", "test", "production"] = Field(
        "development",
        validation_alias=_shared("ENVIRONMENT"),
        description="Where the platform runs; outside development and test, test keys are refused.",
    )
    # Sign-in (issue 16): one issuer URL plugs in any OpenID Connect provider.
    oidc_issuer: str = Field(
        "http://127.0.0.1:8180/realms/contact-centre",
        validation_alias=_shared("OIDC_ISSUER"),
        description="OpenID Connect issuer whose tokens the service accepts (the `iss` of the "
        "tokens; its keys are found through <issuer>/.well-known/openid-configuration).",
    )
    oidc_audience: str = Field(
        "contact-centre",
        validation_alias=_shared("OIDC_AUDIENCE"),
        description="The `aud` a token must carry to be accepted here.",
    )
    oidc_client_id: str = Field(
        "console",
        validation_alias=_shared("OIDC_CLIENT_ID"),
        description="The public client (PKCE) people sign in with from a browser: the "
        "console, and the Authorize button of /docs.",
    )
    oidc_roles_claim: str = Field(
        "realm_access.roles",
        validation_alias=_shared("OIDC_ROLES_CLAIM"),
        description="Dotted path of the token claim listing the caller's roles.",
    )
    oidc_jwks_url: str = Field(
        "",
        validation_alias=_shared("OIDC_JWKS_URL"),
        description="Where to fetch the issuer's keys when the services reach the provider "
        "at another address than its issuer URL (compose); empty: from discovery.",
    )
    oidc_trusted_jwks: str = Field(
        "",
        validation_alias=_shared("OIDC_TRUSTED_JWKS"),
        description="A JWKS (inline JSON or a file path) trusted instead of the issuer's, for "
        "tests minting their own tokens; refused outside development and test.",
    )
    oidc_leeway_seconds: float = Field(
        30.0,
        ge=0,
        le=300,
        validation_alias=_shared("OIDC_LEEWAY_SECONDS"),
        description="Clock skew allowed on a token's expiry and not-before.",
    )
    cors_origins: str = Field(
        "",
        validation_alias=_shared("CORS_ORIGINS"),
        description="Comma-separated browser origins allowed to call the service (the "
        "console's); empty: none.",
    )
    metrics_access: Literal["loopback", "token", "open"] = Field(
        "loopback",
        validation_alias=_shared("METRICS_ACCESS"),
        description="Who may read /metrics: `loopback` (open to 127.0.0.1 and ::1, a bearer "
        "token with the `metrics` role from elsewhere), `token` (always the token), `open` "
        "(anyone: a private network only).",
    )

    http_host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    http_port: int = Field(8000, description="Port the HTTP server listens on.")

    def __init__(self, **values: Any) -> None:
        # Unknown environment variables are ignored (the shared CC_* ones serve several
        # services), and pydantic-settings ignores unknown keyword arguments with them: a
        # misspelt or env-prefixed argument would silently leave its default in place.
        known = self.argument_names()
        unknown = sorted(k for k in values if k not in known and not k.startswith("_"))
        if unknown:
            raise TypeError(f"unknown settings {unknown}; known: {sorted(known)}")
        super().__init__(**values)

    @model_validator(mode="after")
    def _test_keys_only_in_development(self) -> "ServiceSettings":
        if self.oidc_trusted_jwks and self.platform_environment == "production":
            raise ValueError(
                "CC_OIDC_TRUSTED_JWKS (a test key) is refused in production: unset it, or set "
                "CC_ENVIRONMENT=development or test"
            )
        return self

    @classmethod
    def argument_names(cls) -> set[str]:
        """What a keyword argument may be called: a field's name, or its shared variable."""
        names: set[str] = set()
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(choice for choice in alias.choices if isinstance(choice, str))
            elif isinstance(alias, str):
                names.add(alias)
            else:
                names.add(name)
        return names

    def topic(self, name: str) -> str:
        """The real topic name of a logical topic, in this namespace."""
        return f"{self.namespace}.{name}" if self.namespace else name

    @property
    def consumer_group(self) -> str:
        return self.topic(self.service_name)

    @property
    def postgres_schema(self) -> str:
        return schema_name(self.service_name, self.namespace)
