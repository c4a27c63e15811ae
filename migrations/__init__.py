"""Alembic migrations of the quota database (a package so that wheels ship it)."""
