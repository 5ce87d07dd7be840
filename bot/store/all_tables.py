"""Imports every module that defines tables, so Base.metadata knows them all (Alembic, tests)."""

import bot.store.tables  # noqa: F401
