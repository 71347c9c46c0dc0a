"""Alembic migrations for Haven's database; installed as ``haven_migrations``."""
