"""Imports every module that defines tables, so Base.metadata knows them all (Alembic, tests)."""

import bot.analytics.tables  # noqa: F401
import bot.auth  # noqa: F401,E402  (staff_sessions)
import bot.desk.tables  # noqa: F401,E402
import bot.dialog.tables  # noqa: F401,E402
import bot.dispatch.tables  # noqa: F401,E402
import bot.store.tables  # noqa: F401
import connectors.wechat.tables  # noqa: F401,E402
