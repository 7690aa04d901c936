#!/bin/sh
# Run once by Patroni on the new primary: the application's role and database. Its argument
# is the superuser's connection string (a template: $$$$ stands for one dollar sign).
set -e
psql -v ON_ERROR_STOP=1 "$$1" -c "CREATE ROLE ${DATABASE_USER} LOGIN" -c "CREATE DATABASE ${DATABASE_NAME} OWNER ${DATABASE_USER}"
