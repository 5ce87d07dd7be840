"""Runs Alembic migrations programmatically, so `serve`, `ingest` and tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the bundled migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Upgrade the database at `url` to the newest revision."""
    # "heads": parallel feature branches each add a revision on top of 0004; they are independent.
    command.upgrade(alembic_config(url), "heads")
