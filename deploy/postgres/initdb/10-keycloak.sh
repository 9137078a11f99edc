#!/usr/bin/env bash
# The official postgres image runs this once, when it initialises an empty volume: Keycloak gets
# a role and a database of its own, next to the platform's (docker-compose.yml). A volume made
# before this file existed needs it once by hand: `docker compose exec postgres bash
# /docker-entrypoint-initdb.d/10-keycloak.sh`.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE keycloak LOGIN PASSWORD '${KEYCLOAK_DB_PASSWORD:-keycloak}';
CREATE DATABASE keycloak OWNER keycloak;
SQL
