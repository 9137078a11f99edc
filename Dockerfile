# One image for every service of the platform: the workspace's locked environment with every
# services/<name> package (distribution cc-<name>) and the libraries they use; test-only members
# (libs/testing) and dev dependencies stay out. Compose picks the service with
# `command: ["cc-<name>"]`, e.g. ["cc-kpi"].
# Only classic Dockerfile features are used, so the legacy builder and BuildKit both build it.

ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

# The lock and every pyproject.toml, nothing else: the dependency layer in `builder` is
# then reused until one of them changes, whatever source file was edited.
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find . -depth -mindepth 1 -type d -empty -delete

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY --from=manifests /src/ ./
RUN uv sync --frozen --no-dev --no-install-workspace \
        $(for dir in services/*/; do printf -- '--package cc-%s ' "$(basename "$dir")"; done)
COPY . .
# --no-editable installs the workspace packages as wheels, so the venv alone is the app.
RUN uv sync --frozen --no-dev --no-editable \
        $(for dir in services/*/; do printf -- '--package cc-%s ' "$(basename "$dir")"; done)

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 cc \
    && useradd --system --uid 10001 --gid cc --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin cc
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Attachment volumes mount here: a fresh named volume takes the ownership of the directory the
# image has, so the services (uid 10001) can write their files.
RUN install -d -o 10001 -g 10001 /var/lib/claims/attachments /var/lib/crm/attachments \
        /var/lib/chat/attachments
USER 10001:10001
CMD ["python", "-c", "raise SystemExit('name a service to run, e.g. cc-kpi (one of cc-telephony-ingest, cc-crm, cc-claims, cc-proactive-engine, cc-kpi, cc-chat, cc-knowledge)')"]
