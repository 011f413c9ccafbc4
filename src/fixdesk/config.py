"""Runtime configuration: every setting is a ``FIXDESK_*`` environment variable (see README, "Configuration").

The data directory (``FIXDESK_DATA_DIR``, default ``./.fixdesk``) holds the SQLite database, the generated
secret key and stored files. There is no hard-coded fallback secret: without ``FIXDESK_SECRET_KEY`` a random
key is generated on first start, written to ``<data dir>/secret_key`` with mode 0600 and reused afterwards.
In production (``FIXDESK_ENV=production``) a missing secret, or a SQLite database without the explicit
``FIXDESK_ALLOW_SQLITE_IN_PRODUCTION=true`` opt-in, refuses to start.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE_NAME = "secret_key"
MINIMUM_SECRET_LENGTH = 32
MINIMUM_METRICS_TOKEN_LENGTH = 16


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message says what to change."""


class Settings(BaseSettings):
    """All of Fixdesk's settings. Field ``x`` is read from the environment variable ``FIXDESK_X``."""

    model_config = SettingsConfigDict(env_prefix="FIXDESK_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".fixdesk")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data dir>/fixdesk.db",
    )
    allow_sqlite_in_production: bool = False
    secret_key: SecretStr | None = None
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Former FIXDESK_SECRET_KEY values (JSON list) that still decrypt stored secrets",
    )

    # Identity
    jwt_issuer: str = "fixdesk"
    jwt_audience: str = "fixdesk-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=1, ge=1)
    refresh_token_remember_days: int = Field(default=30, ge=1)
    dev_login_code: str | None = Field(
        default=None,
        pattern=r"^\d{6}$",
        description="Development only: every emailed login/verification code is this one (refused in production)",
    )

    # Shop
    shop_name: str = "Fixdesk Demo Repair"
    shop_email: str = "hello@example.com"
    shop_phone: str = "+1 512 555 0100"
    currency: str = Field(default="USD", min_length=3, max_length=3)
    default_phone_region: str = Field(default="US", description="ISO 3166 region for numbers without +")
    tax_rate: Decimal = Field(
        default=Decimal("0"),
        ge=0,
        le=100,
        max_digits=8,
        decimal_places=4,
        description="Sales tax in percent applied to repair and quote totals, e.g. 8.25",
    )
    shop_address: str = Field(
        default="",
        description="The shop's postal address as printed on invoices (lines separated by newlines)",
    )
    # Billing (fixdesk.billing): invoices and payments.
    invoice_rounding: Literal["per_document", "per_line"] = Field(
        default="per_document",
        description="Where invoice tax is rounded to cents: once per tax rate over the document's lines "
        "(per_document) or on every line (per_line); an invoice keeps the rule it was created with",
    )
    payment_terms_days: int = Field(
        default=14,
        ge=0,
        le=365,
        description="Net days: an invoice is due this many days after its issue date",
    )
    invoice_payment_instructions: str = Field(
        default="",
        description="How to pay, printed on invoices and in their emails (bank account, payable-to name)",
    )
    payment_reminder_days: str = Field(
        default="-3,0,7,14",
        description="When unpaid invoices are reminded (payment_reminder message): days relative to the "
        "due date, comma-separated (-3: three days before; 0: on the day; 7: a week after). Empty: never",
    )
    shop_timezone: str = Field(
        default="UTC",
        description="IANA zone of the shop; decides which calendar day 'today' is (quote validity, warranty)",
    )

    # Files (repair photos and documents). "local" keeps them under <data dir>/files; "s3" in any
    # S3-compatible store (AWS S3, MinIO, Ceph, R2, …).
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = Field(default=None, description="Endpoint of a non-AWS S3 store")
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = Field(default="", description="Key prefix inside the bucket, e.g. 'fixdesk/'")
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest photo or document accepted for a repair"
    )
    max_import_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest CSV accepted by POST /api/v1/catalog/import"
    )

    # Catalog reads are cached (in process memory, or in Redis with redis_url) and invalidated on write.
    catalog_cache_seconds: int = Field(default=300, ge=0, description="0 turns the catalog cache off")

    # Jobs
    worker_in_process: bool = Field(default=True, description="fixdesk serve also runs a job worker")
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    job_poll_interval: float = Field(default=0.5, gt=0, description="Seconds between polls when idle")
    job_lease_seconds: float = Field(default=30.0, gt=0, description="A claimed job's reservation")

    # Email (the "file" provider writes one .eml per message into <data dir>/outbox/)
    email_provider: Literal["file", "smtp", "sendgrid"] = "file"
    email_from: str = "Fixdesk Demo Repair <no-reply@example.com>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    sendgrid_api_key: SecretStr | None = None
    sendgrid_base_url: str = "https://api.sendgrid.com"

    # SMS and WhatsApp (the "file" provider writes one .json per message into <data dir>/outbox/sms/)
    sms_provider: Literal["file", "twilio"] = "file"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"

    # Online payment through Stripe Checkout (fixdesk.integrations.payments); off without a secret key
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, description="The signing secret (whsec_…) of the endpoint /api/v1/webhooks/stripe"
    )
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout_seconds: float = Field(default=20.0, gt=0)
    stripe_webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="How old a signed Stripe event may be (seconds), against replays"
    )
    public_base_url: str | None = Field(
        default=None,
        description="This server's public URL, for provider callbacks; default http://<host>:<port>",
    )

    # SMS and WhatsApp broadcasts (fixdesk.marketing.broadcasts): the estimate's price per message segment
    # in the shop's currency, and the pace of sending
    broadcast_sms_segment_price: Decimal = Field(
        default=Decimal("0.0079"),
        ge=0,
        max_digits=10,
        decimal_places=6,
        description="Price of one SMS segment (160 GSM-7 or 70 UCS-2 characters), shop currency",
    )
    broadcast_whatsapp_segment_price: Decimal = Field(
        default=Decimal("0.0050"),
        ge=0,
        max_digits=10,
        decimal_places=6,
        description="Price of one WhatsApp message segment counted like SMS, shop currency",
    )
    broadcast_batch_size: int = Field(default=50, ge=1, le=1000, description="Messages per send job")
    broadcast_messages_per_second: float = Field(
        default=10.0, gt=0, le=10_000, description="Most broadcast messages handed to the provider per second"
    )

    # Notifications: per-customer limits (seed 003); the excess is recorded as failed, reason rate_limited
    sms_per_hour: int = Field(default=10, ge=0)
    email_per_hour: int = Field(default=50, ge=0)

    # Email campaigns (fixdesk.marketing.campaigns): how fast, in what batches, with which unsubscribe mailbox
    campaign_rate_per_second: float = Field(
        default=50.0,
        ge=0,
        description="Most campaign emails sent per second, all workers together; 0 means no limit",
    )
    campaign_batch_size: int = Field(
        default=100, ge=1, le=1000, description="Recipients claimed and sent over one connection at a time"
    )
    campaign_send_jobs: int = Field(
        default=4, ge=1, le=64, description="Parallel send jobs per campaign (each sends batch after batch)"
    )
    campaign_unsubscribe_mailto: str | None = Field(
        default=None,
        description="An address for List-Unsubscribe's mailto: alternative (RFC 2369); none when unset",
    )
    sendgrid_webhook_public_key: str | None = Field(
        default=None,
        description="The verification key (base64 DER, ECDSA P-256) of SendGrid's signed Event Webhook, "
        "for POST /api/v1/webhooks/sendgrid/events; the endpoint answers 503 without it",
    )

    # Outbound webhooks
    webhooks_allow_private: bool = Field(
        default=False, description="Allow webhook URLs on private, loopback or link-local addresses"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    # Field service: where technicians drive (fixdesk.integrations.geocoding, fixdesk.integrations.routing)
    geocoding_url: str | None = Field(
        default=None,
        description="Base URL of a Nominatim-compatible geocoder (its /search); addresses without "
        "coordinates are looked up there. Unset: coordinates must be given",
    )
    routing_url: str | None = Field(
        default=None,
        description="Base URL of an OSRM server; travel times come from its table service. Unset: "
        "straight-line distance × travel_road_factor at travel_average_speed_kmh",
    )
    travel_road_factor: float = Field(
        default=1.3, ge=1, le=5, description="Road distance ÷ straight-line distance, without OSRM"
    )
    travel_average_speed_kmh: float = Field(
        default=40.0, gt=0, le=200, description="Average driving speed in km/h, without OSRM"
    )
    field_provider_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of a geocoding or routing request, seconds"
    )
    service_plan_lead_days: int = Field(
        default=14,
        ge=0,
        le=366,
        description="How many days ahead (shop calendar) a service plan's occurrence becomes a work order",
    )
    service_plan_reminder_days: int = Field(
        default=2,
        ge=0,
        le=60,
        description="How many days before a service plan's visit the customer is reminded",
    )
    dispatch_time_limit_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Longest a dispatch plan's solver search may run, seconds (POST /dispatch/plan)",
    )
    dispatch_exploration_level: int = Field(
        default=5,
        ge=1,
        le=5,
        description="The solver's search depth (VROOM's exploration level, 1 fastest to 5 best); see "
        "benchmarks/README.md, dispatch_day.py",
    )

    # Shared state for several API processes (rate limits, cache, live events); in-process when unset
    redis_url: str | None = None

    # API guards. Rate limits use the `limits` notation ("N/second", "N/minute", "N/hour", "N/day") and are
    # counted in a moving window: in process memory, or in Redis (shared by every process) with redis_url.
    rate_limit_auth: str = Field(
        default="5/minute", description="/api/v1/auth/* and /api/v1/oauth/token requests, per client IP"
    )
    rate_limit_anonymous: str = Field(
        default="100/minute", description="Requests without a valid access token, per client IP"
    )
    rate_limit_authenticated: str = Field(
        default="1000/minute", description="Requests with a valid access token, per principal"
    )
    rate_limit_bulk: str = Field(
        default="10/minute",
        description="Bulk sends (endpoints that depend on BulkRateLimited), per principal",
    )
    rate_limit_namespace: str = Field(
        default="fixdesk",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Prefix of the rate-limit counters, so installations sharing one Redis keep apart budgets",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="IPs or CIDR networks of reverse proxies; X-Forwarded-For is believed only from these",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted (413 above); JSON bodies are small, uploads will need more",
    )

    # HTTP
    api_docs: bool = Field(
        default=True,
        description="Serve the interactive API documentation at /docs and /redoc (/openapi.json stays)",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="Seconds `fixdesk serve` keeps an idle keep-alive connection open; longer than the idle "
        "timeout of the proxy or client pool in front (AWS load balancers 60 s, httpx 5 s), so they drop a "
        "connection before the server does and never send a request into a closing one",
    )
    cors_origins: list[str] = Field(default_factory=list)
    hsts_max_age: int = Field(
        default=63_072_000,
        ge=0,
        description="Production only: Strict-Transport-Security max-age in seconds (two years); 0 omits the header",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token that opens /metrics (at least 16 characters)"
    )
    metrics_allow_from: list[str] = Field(
        default_factory=list,
        description="IPs or CIDR networks allowed to read /metrics without the token (client IP as for rate limits)",
    )
    log_level: str = "INFO"
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's own OpenTelemetry spans, metrics and logs, sent to the providers the process "
        "configured (e.g. under opentelemetry-instrument); off, no request looks for a provider",
    )
    # Plain-language scheduling (fixdesk.fieldservice.language): an optional OpenAI-compatible model
    # extracts the request's fields; without a base URL, or when it fails, the offline parser answers.
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible API with the version, e.g. https://api.openai.com/v1 or "
        "http://127.0.0.1:11434/v1 (Ollama); unset: scheduling requests are parsed offline",
    )
    llm_model: str | None = Field(
        default=None, description="Model name sent to the chat-completions API (needs tool calling)"
    )
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer token of the model API, if any")
    llm_timeout_seconds: float = Field(
        default=4.0,
        gt=0,
        le=60,
        description="Seconds to wait for the model before falling back to the offline parser",
    )

    log_json: bool = False
    sql_echo: bool = False

    @field_validator("rate_limit_auth", "rate_limit_anonymous", "rate_limit_authenticated", "rate_limit_bulk")
    @classmethod
    def _single_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            items = parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit; write e.g. '5/minute' or '100/hour'") from None
        if len(items) != 1:
            raise ValueError(f"{value!r}: give one limit per setting, e.g. '5/minute'")
        return value.strip()

    @field_validator("previous_secret_keys")
    @classmethod
    def _long_previous_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        if any(len(key.get_secret_value()) < MINIMUM_SECRET_LENGTH for key in value):
            raise ValueError(f"every previous secret key is at least {MINIMUM_SECRET_LENGTH} characters long")
        return value

    @field_validator("payment_reminder_days")
    @classmethod
    def _reminder_days(cls, value: str) -> str:
        try:
            days = sorted({int(part) for part in value.split(",") if part.strip()})
        except ValueError:
            raise ValueError(f"{value!r} is not a list of days; write e.g. '-3,0,7,14'") from None
        if any(abs(day) > 365 for day in days):
            raise ValueError("reminder days are within a year of the due date (-365..365)")
        return ",".join(str(day) for day in days)

    @property
    def payment_reminder_offsets(self) -> tuple[int, ...]:
        """``FIXDESK_PAYMENT_REMINDER_DAYS`` as sorted days relative to an invoice's due date."""
        return tuple(int(part) for part in self.payment_reminder_days.split(",") if part)

    @field_validator("shop_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. 'America/Chicago'") from None
        return value

    @field_validator("trusted_proxies", "metrics_allow_from")
    @classmethod
    def _ip_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return [entry.strip() for entry in value]

    @field_validator("metrics_token")
    @classmethod
    def _long_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        # /metrics is not rate limited (Prometheus scrapes it often), so the token must resist guessing.
        if value is not None and len(value.get_secret_value()) < MINIMUM_METRICS_TOKEN_LENGTH:
            raise ValueError(f"use at least {MINIMUM_METRICS_TOKEN_LENGTH} random characters")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: list[str]) -> list[str]:
        # Credentials are allowed, so a wildcard would let every web site call the API as the signed-in user.
        if "*" in value:
            raise ValueError("list the allowed origins explicitly; '*' is not accepted")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one, or the SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'fixdesk.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        """Where the file email and SMS providers write messages (``<data dir>/outbox``)."""
        return self.data_dir / "outbox"

    @property
    def resolved_public_base_url(self) -> str:
        """The URL providers call back (Twilio's StatusCallback), without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def shop_today(self, now: datetime | None = None) -> date:
        """Today's date in the shop's time zone (``FIXDESK_SHOP_TIMEZONE``), e.g. for quote validity."""
        moment = now or datetime.now(ZoneInfo("UTC"))
        return moment.astimezone(ZoneInfo(self.shop_timezone)).date()

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check_production_safety(self) -> None:
        """Raise :class:`ConfigurationError` when production would run with an unsafe configuration."""
        if not self.is_production:
            return
        if self.secret_key is None:
            raise ConfigurationError(
                "FIXDESK_ENV=production needs FIXDESK_SECRET_KEY (at least 32 random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`). Refusing to start."
            )
        if self.dev_login_code is not None:
            raise ConfigurationError(
                "FIXDESK_DEV_LOGIN_CODE is set with FIXDESK_ENV=production: a fixed login code would let "
                "anyone who knows it into every customer account. Unset it. Refusing to start."
            )
        if self.is_sqlite and not self.allow_sqlite_in_production:
            raise ConfigurationError(
                "FIXDESK_ENV=production with a SQLite database: set FIXDESK_DATABASE_URL to PostgreSQL "
                "(postgresql+asyncpg://…) or opt in with FIXDESK_ALLOW_SQLITE_IN_PRODUCTION=true. "
                "Refusing to start."
            )

    def ensure_data_dir(self) -> Path:
        """Create the data directory (and its ``files/`` folder) if missing and return its path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "files").mkdir(exist_ok=True)
        return self.data_dir

    @cached_property
    def signing_key(self) -> str:
        """The secret used to sign tokens: configured, or generated once and kept in the data directory.

        Raises :class:`ConfigurationError` in production without a configured key, or when the configured
        key is shorter than 32 characters.
        """
        self.check_production_safety()
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value()
            if len(value) < MINIMUM_SECRET_LENGTH:
                raise ConfigurationError("FIXDESK_SECRET_KEY must be at least 32 characters long.")
            return value
        return _load_or_create_secret(self.ensure_data_dir() / SECRET_FILE_NAME)


def _load_or_create_secret(path: Path) -> str:
    """Read the stored secret, or create it atomically with mode 0600 so no other user can read it."""
    if path.exists():
        value = path.read_text().strip()
        if len(value) >= MINIMUM_SECRET_LENGTH:
            return value
        raise ConfigurationError(
            f"The secret key file {path} is damaged (too short); delete it to regenerate."
        )
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not both write a key; the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_or_create_secret(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def get_settings() -> Settings:
    """Settings read from the current environment."""
    return Settings()
