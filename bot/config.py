"""Settings: one object, read from the environment (see shared/CONTRACTS.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "placeholder"}


class Settings(BaseSettings):
    """Everything configurable, with the embedded defaults."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production"] = Field("development", alias="HOTLINE_ENV")
    data_dir: Path = Field(Path("./data"), alias="HOTLINE_DATA_DIR")
    database_url: str | None = Field(None, alias="HOTLINE_DATABASE_URL")
    chroma_host: str | None = Field(None, alias="HOTLINE_CHROMA_HOST")
    chroma_port: int = Field(8001, alias="HOTLINE_CHROMA_PORT")
    city: str = Field("北京市", alias="HOTLINE_CITY")

    # LLM endpoint; unset base URL means the offline engine answers.
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_api_key: str | None = Field(None, alias="OPENAI_API_KEY")
    llm_model: str = Field("gpt-4o-mini", alias="HOTLINE_LLM_MODEL")
    llm_timeout_s: float = Field(20.0, alias="HOTLINE_LLM_TIMEOUT")
    llm_breaker_failures: int = Field(3, alias="HOTLINE_LLM_BREAKER_FAILURES")
    llm_breaker_cooldown_s: float = Field(60.0, alias="HOTLINE_LLM_BREAKER_COOLDOWN")

    # Knowledge base limits.
    max_upload_bytes: int = Field(20 * 1024 * 1024, alias="HOTLINE_MAX_UPLOAD_BYTES")
    max_message_chars: int = Field(5000, alias="HOTLINE_MAX_MESSAGE_CHARS")

    # Dispatch.
    dispatch_backend: Literal["builtin", "open311", "webhook"] = Field("builtin", alias="HOTLINE_DISPATCH_BACKEND")
    open311_base_url: str | None = Field(None, alias="HOTLINE_OPEN311_BASE_URL")
    open311_api_key: str | None = Field(None, alias="HOTLINE_OPEN311_API_KEY")
    open311_jurisdiction: str | None = Field(None, alias="HOTLINE_OPEN311_JURISDICTION")
    webhook_url: str | None = Field(None, alias="HOTLINE_WEBHOOK_URL")
    webhook_secret: str | None = Field(None, alias="HOTLINE_WEBHOOK_SECRET")
    worker: Literal["on", "off"] = Field("on", alias="HOTLINE_WORKER")
    # Delivery worker: the outbox is the retry mechanism (next_attempt_at, exponential backoff).
    dispatch_max_attempts: int = Field(8, ge=1, alias="HOTLINE_DISPATCH_MAX_ATTEMPTS")
    dispatch_backoff_base_s: float = Field(2.0, gt=0, alias="HOTLINE_DISPATCH_BACKOFF_BASE")
    dispatch_backoff_max_s: float = Field(600.0, gt=0, alias="HOTLINE_DISPATCH_BACKOFF_MAX")
    dispatch_timeout_s: float = Field(10.0, gt=0, alias="HOTLINE_DISPATCH_TIMEOUT")
    # A claim outlives the slowest delivery, so a live worker never loses its row to another.
    dispatch_lease_s: float = Field(60.0, gt=0, alias="HOTLINE_DISPATCH_LEASE")
    worker_poll_s: float = Field(0.5, gt=0, alias="HOTLINE_WORKER_POLL")
    worker_batch: int = Field(50, ge=1, alias="HOTLINE_WORKER_BATCH")
    worker_concurrency: int = Field(8, ge=1, alias="HOTLINE_WORKER_CONCURRENCY")
    open311_status_poll_s: float = Field(300.0, gt=0, alias="HOTLINE_OPEN311_STATUS_POLL")
    callback_window_s: int = Field(300, ge=1, alias="HOTLINE_CALLBACK_WINDOW")
    repeat_window_hours: float = Field(168.0, ge=0, alias="HOTLINE_REPEAT_WINDOW_HOURS")
    deadlines_file: Path | None = Field(None, alias="HOTLINE_DEADLINES_FILE")
    holidays_file: Path | None = Field(None, alias="HOTLINE_HOLIDAYS_FILE")

    # WeChat official account.
    wechat_token: str | None = Field(None, alias="HOTLINE_WECHAT_TOKEN")
    wechat_appid: str | None = Field(None, alias="HOTLINE_WECHAT_APPID")
    wechat_secret: str | None = Field(None, alias="HOTLINE_WECHAT_SECRET")
    wechat_aes_key: str | None = Field(None, alias="HOTLINE_WECHAT_AES_KEY")
    wechat_api_base: str = Field("https://api.weixin.qq.com/cgi-bin/", alias="HOTLINE_WECHAT_API_BASE")
    # WeChat waits 5 s for a passive reply; past this budget we answer "success" and push.
    wechat_reply_budget_s: float = Field(4.0, alias="HOTLINE_WECHAT_REPLY_BUDGET")
    wechat_workers: int = Field(16, alias="HOTLINE_WECHAT_WORKERS")
    # True refuses plaintext posts: only safe-mode (AES) messages are accepted.
    wechat_encrypted_only: bool = Field(False, alias="HOTLINE_WECHAT_ENCRYPTED_ONLY")
    # Template message for status updates outside the 48-hour customer-service window.
    wechat_template_id: str | None = Field(None, alias="HOTLINE_WECHAT_TEMPLATE_ID")
    # JSON object: template field -> format string over {ticket_no} {message} {time} (Beijing time).
    wechat_template_fields: dict[str, str] = Field(
        default_factory=lambda: {
            "first": "您反映的问题有新进展",
            "keyword1": "{ticket_no}",
            "keyword2": "{message}",
            "keyword3": "{time}",
            "remark": "在公众号内发送“查询进度”可查看详情。",
        },
        alias="HOTLINE_WECHAT_TEMPLATE_FIELDS",
    )
    wechat_template_url: str | None = Field(None, alias="HOTLINE_WECHAT_TEMPLATE_URL")

    # Signs staff page cookies and citizens' ticket links. Unset (or a placeholder in development), a random
    # secret is generated into the data dir on first start; a shipped string is never used.
    session_secret: str | None = Field(None, alias="HOTLINE_SESSION_SECRET")
    # The cookie's Secure flag; unset means on in production, off in development (plain http://127.0.0.1).
    cookie_secure: bool | None = Field(None, alias="HOTLINE_COOKIE_SECURE")
    staff_session_hours: float = Field(12.0, gt=0, le=24 * 30, alias="HOTLINE_STAFF_SESSION_HOURS")
    # Origins (scheme://host[:port]) allowed to post with a staff cookie besides the server's own host,
    # comma-separated, for a reverse proxy that rewrites Host.
    allowed_origins: str = Field("", alias="HOTLINE_ALLOWED_ORIGINS")
    # Sign-in throttling: this many wrong passwords for one account (or 4x from one client) lock it.
    login_max_failures: int = Field(5, ge=1, alias="HOTLINE_LOGIN_MAX_FAILURES")
    login_lockout_s: int = Field(900, ge=1, alias="HOTLINE_LOGIN_LOCKOUT")
    # Citizens' ticket lookups by phone digits: wrong tries per ticket (and 3x per client) before a 429.
    lookup_max_failures: int = Field(5, ge=1, alias="HOTLINE_LOOKUP_MAX_FAILURES")
    lookup_lockout_s: int = Field(900, ge=1, alias="HOTLINE_LOOKUP_LOCKOUT")

    # Chat turns: at most this many run at once (a bounded thread pool); a turn that waits longer than
    # the queue timeout for a slot is answered 503 with Retry-After.
    turn_slots: int = Field(4, ge=1, le=64, alias="HOTLINE_TURN_SLOTS")
    turn_queue_timeout_s: float = Field(3.0, gt=0, alias="HOTLINE_TURN_QUEUE_TIMEOUT")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment == "production":
            if self.session_secret is not None and _is_placeholder(self.session_secret):
                raise ValueError("HOTLINE_SESSION_SECRET must be a real secret in production (or unset: "
                                 "a random one is generated into the data dir)")
            if self.dispatch_backend == "webhook" and (self.webhook_secret or "") in PLACEHOLDER_SECRETS:
                raise ValueError("HOTLINE_WEBHOOK_SECRET must be set to a real secret in production")
        return self

    @property
    def secret(self) -> str:
        """The configured secret when it is a real one, else this install's generated secret."""
        if self.session_secret is not None and not _is_placeholder(self.session_secret):
            return self.session_secret
        from bot.auth import install_secret

        return install_secret(self.data_dir)

    @property
    def secure_cookies(self) -> bool:
        """Whether staff cookies carry the Secure flag."""
        return self.environment == "production" if self.cookie_secure is None else self.cookie_secure

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible endpoint is configured."""
        return bool(self.openai_base_url)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: PostgreSQL when configured, else SQLite under the data dir."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'hotline.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded knowledge-base documents and attachments are kept."""
        return self.data_dir / "uploads"

    @property
    def overrides_dir(self) -> Path:
        """Where admin edits of shipped data files (taxonomy, routing) are kept."""
        return self.data_dir / "config"


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or value.startswith("dev-only") or len(value) < 16


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
