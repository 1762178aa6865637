"""Configuration: one typed model of every setting, each an ``OMNIALLOC_*`` environment variable.

``Settings`` is a pydantic-settings model: field ``foo_bar`` is read from ``OMNIALLOC_FOO_BAR``,
validated (a bad integer or boolean is a clear error naming the variable), and carries the
description the configuration reference (docs/configuration.md) is generated from
(``python -m omnialloc.config > docs/configuration.md``; a test fails when they differ).

Defaults run with no set-up at all: an SQLite file under ./var/. With ``OMNIALLOC_ENV=production``
the model refuses the development secret key and a console cookie that may travel over plain
HTTP, so a production process does not start with them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PREFIX = "OMNIALLOC_"
DEV_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY_CHARS = 32
SECRET_FIELDS = frozenset({"secret_key", "smtp_password", "sms_token", "database_url"})


def _default_db_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'omnialloc.db'}"


def _setting(default: Any, description: str, group: str, *, shown_default: str | None = None) -> Any:
    """A field with its description and the section of the reference it is listed under."""
    extra: dict[str, Any] = {"group": group}
    if shown_default is not None:
        extra["shown_default"] = shown_default
    if callable(default):
        return Field(default_factory=default, description=description, json_schema_extra=extra)
    return Field(default, description=description, json_schema_extra=extra)


GENERAL, ALLOCATION, LIMITS, CONSOLE, NOTIFY, BACKORDERS, RETURNS, OPS = (
    "General",
    "Allocation",
    "Limits",
    "Console and security",
    "Notifications",
    "Backorder retries",
    "Returns",
    "Operations",
)


class SettingsError(SystemExit):
    """Settings that cannot be used: exits the process with one line per bad variable (no traceback)."""


class Settings(BaseSettings):
    """All tunables. Field name ``foo_bar`` is read from ``OMNIALLOC_FOO_BAR``."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", case_sensitive=False)

    env: Literal["development", "production"] = _setting(
        "development",
        "`production` refuses to start with the development secret key, a key shorter than "
        f"{MIN_SECRET_KEY_CHARS} characters, or a console cookie that may be sent over plain HTTP",
        GENERAL,
    )
    database_url: str = _setting(
        _default_db_url,
        "SQLAlchemy URL of the store; `postgresql://user@host/db` uses psycopg 3",
        GENERAL,
        shown_default="sqlite:///./var/omnialloc.db",
    )
    data_dir: str = _setting(
        "",
        "folder `load-demo` reads the network from (CSV files as in `data/README.md`); empty: the demo "
        "network shipped inside the package",
        GENERAL,
    )
    prices_enabled: bool = _setting(
        False,
        "add the nightly batch's stock opportunity prices to real-time plans (`omnialloc prices refresh`)",
        GENERAL,
    )
    plain_core: bool = _setting(
        False,
        "run every statement through plain SQLAlchemy Core, without the store's hot-statement adapter "
        "(`store/fastexec.py`, read at import); slower, for ruling the adapter out",
        GENERAL,
    )
    # Allocation
    auto_allocate: bool = _setting(True, "allocate right after capture", ALLOCATION)
    solver_time_limit_ms: int = _setting(
        200, "per-order solver safety net in milliseconds; past it a flagged heuristic plan is used", ALLOCATION
    )
    reserve_retries: int = _setting(3, "re-solves when stock moves during reservation", ALLOCATION)
    split_penalty_paise: int = _setting(2000, "cost of each shipment beyond the first, in paise", ALLOCATION)
    unfilled_penalty_paise: int = _setting(
        100_000, "cost of each unit left unfilled (backordered), in paise", ALLOCATION
    )
    rejection_penalty_paise: int = _setting(
        500, "paise added to a node's plans per recent rejection of an order by that node", ALLOCATION
    )
    rejection_window_days: int = _setting(30, "how far back rejections count", ALLOCATION)
    # The delivery promise (issue 24; docs/promise.md)
    value_per_day_paise: int = _setting(
        2_000,
        "what a day sooner is worth, in paise per shipment and day: a faster lane wins when it costs at most "
        "this much more per day saved (0: cost alone, speed only through promises)",
        ALLOCATION,
    )
    late_paise_per_day: int = _setting(
        50_000,
        "cost per day a shipment would arrive after a soft promise (a rule's, the channel's default or the "
        "fastest date plus slack; a promise in the order's request is hard)",
        ALLOCATION,
    )
    promise_slack_days: int = _setting(
        2,
        "an order with no promise (request, rule or channel) is promised its fastest feasible date plus this many days",
        ALLOCATION,
    )
    express_freight_pct: int = _setting(
        160, "express service freight as a percent of the carrier's rate card (air priority handling)", ALLOCATION
    )
    # Limits
    max_lines_per_order: int = _setting(100, "lines per order at capture (422 beyond)", LIMITS)
    max_body_bytes: int = _setting(1024 * 1024, "request body limit in bytes (413 beyond)", LIMITS)
    max_page_size: int = _setting(200, "largest page a list endpoint returns", LIMITS)
    max_rules: int = _setting(500, "rules that may exist at once", LIMITS)
    # Console and security
    secret_key: str = _setting(
        DEV_SECRET_KEY, "signs console session cookies and list cursors: a long random value in production", CONSOLE
    )
    console_session_minutes: int = _setting(480, "absolute lifetime of an operations console login", CONSOLE)
    console_secure_cookie: bool = _setting(
        False, "send the console cookie over HTTPS only (required in production)", CONSOLE
    )
    # Notifications
    email_provider: Literal["smtp", "log"] = _setting(
        "smtp", "`smtp` sends through the relay; `log` writes e-mails to the log (`make run` uses it)", NOTIFY
    )
    smtp_host: str = _setting("127.0.0.1", "e-mail relay host", NOTIFY)
    smtp_port: int = _setting(25, "e-mail relay port", NOTIFY)
    smtp_starttls: bool = _setting(False, "upgrade the relay connection with STARTTLS", NOTIFY)
    smtp_ssl: bool = _setting(False, "implicit TLS (port 465) instead of STARTTLS", NOTIFY)
    smtp_cafile: str = _setting("", "extra CA file to trust for the relay's certificate", NOTIFY)
    smtp_user: str = _setting("", "relay login (empty: no AUTH)", NOTIFY)
    smtp_password: str = _setting("", "relay password", NOTIFY)
    smtp_from: str = _setting("orders@omnialloc.local", "From address of customer e-mails", NOTIFY)
    smtp_timeout_seconds: int = _setting(10, "relay connect and command timeout", NOTIFY)
    sms_provider: Literal["log", "http"] = _setting(
        "log",
        "`http` posts JSON with a bearer token and an Idempotency-Key to `OMNIALLOC_SMS_URL`; `log` writes "
        "messages to the log",
        NOTIFY,
    )
    sms_url: str = _setting("", "the SMS provider's endpoint (required with `http`)", NOTIFY)
    sms_token: str = _setting("", "bearer token for the SMS provider", NOTIFY)
    sms_sender_id: str = _setting("", "sender id sent with each SMS", NOTIFY)
    sms_timeout_seconds: int = _setting(10, "SMS provider request timeout", NOTIFY)
    notify_channels: str = _setting("email,sms", "channels notifications are sent on (comma-separated)", NOTIFY)
    notify_mandatory: str = _setting(
        "order_cancelled,refund_issued,ready_for_pickup",
        "message kinds sent even to customers who opted out (a pickup needs its code)",
        NOTIFY,
    )
    notify_max_attempts: int = _setting(6, "send attempts before a notification is dead-lettered", NOTIFY)
    notify_backoff_seconds: int = _setting(30, "first retry delay; doubles per attempt", NOTIFY)
    notify_backoff_max_seconds: int = _setting(3600, "longest retry delay", NOTIFY)
    notify_batch_size: int = _setting(20, "notifications a worker claims per pass", NOTIFY)
    notify_poll_seconds: int = _setting(2, "worker wait when nothing is due", NOTIFY)
    notify_lease_seconds: int = _setting(
        300, "a notification stuck in `sending` this long is claimable again (its worker vanished)", NOTIFY
    )
    tracking_base_url: str = _setting("http://127.0.0.1:8000/track", "tracking link put into messages", NOTIFY)
    carrier_tracking_urls: str = _setting(
        "",
        "links from the buyer's tracking page to the carriers' own: CODE=URL pairs separated by spaces, {awb} "
        "standing for the AWB (e.g. XPR=https://track.xpr.example/{awb})",
        NOTIFY,
    )
    templates_dir: str = _setting("", "folder overriding notify/templates file by file", NOTIFY)
    notify_brand: str = _setting("omnialloc", "seller name in messages and the From header", NOTIFY)
    # Channels both ways (issue 27): shop pushes and outbound webhooks share the outbox worker and its backoff
    channel_stock_debounce_seconds: int = _setting(
        30, "the worker queues stock pushes to shops at most this often (a burst of changes is one push)", NOTIFY
    )
    webhooks_allow_http: bool = _setting(
        False, "allow plain http:// webhook subscriber URLs on non-loopback hosts (events carry customer data)", NOTIFY
    )
    # Backorder retries (services.orders.backorders), run by notify-worker after a change queues them
    backorder_poll_ms: int = _setting(500, "wait between empty polls of the retry queue", BACKORDERS)
    backorder_batch_size: int = _setting(20, "SKUs a worker thread claims per pass", BACKORDERS)
    backorder_threads: int = _setting(2, "retry threads per worker process (each holds its own SKUs)", BACKORDERS)
    backorder_slice_ms: int = _setting(
        25, "while stock changes keep arriving, a retry thread works this long between pauses", BACKORDERS
    )
    backorder_busy_pause_ms: int = _setting(
        75, "pause after each slice while stock changes keep arriving (0: never pause)", BACKORDERS
    )
    backorder_nice: int = _setting(
        0,
        "CPU niceness added to the retry threads (Linux; 0 keeps the process's): API requests on the same "
        "host get the CPU first, but a nicer thread holds the stock rows it reserves longer (docs/orders.md)",
        BACKORDERS,
    )
    backorder_lease_seconds: int = _setting(
        300, "a claimed SKU whose worker vanished is claimable again after this", BACKORDERS
    )
    backorder_sweep_seconds: int = _setting(
        600, "retry every waiting SKU this often (e.g. capacity freed overnight)", BACKORDERS
    )
    # Returns
    return_window_days: int = _setting(30, "days after delivery a return may be raised", RETURNS)
    return_window_days_by_category: str = _setting(
        "electronics=10,beauty=7",
        "shorter windows per category (`category=days`, comma-separated); the smaller of "
        "this and the channel's window applies",
        RETURNS,
    )
    return_auto_approve: bool = _setting(
        True, "approve eligible returns at once (else `POST /returns/{id}/approve`)", RETURNS
    )
    exchange_ship_policy: Literal["after_pickup", "immediately"] = _setting(
        "after_pickup", "when an exchange's replacement ships", RETURNS
    )
    return_restock_value_pct: int = _setting(
        10, "what a returned unit is worth at a node short of it, in percent of its price", RETURNS
    )
    return_target_units: int = _setting(
        50, "free stock a node aims for per SKU (or twice its safety stock if higher)", RETURNS
    )
    # Operations
    pickup_expiry_days: int = _setting(5, "uncollected pickup orders are cancelled after this", OPS)
    import_history_days: int = _setting(
        180, "stock-import change records kept for what-if replays (`inventory prune-history`)", OPS
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _setting("INFO", "lowest level logged", OPS)
    log_format: Literal["json", "text"] = _setting(
        "json", "`json`: one JSON object per line (for log shippers); `text`: one readable line per event", OPS
    )
    metrics_port: int = _setting(
        0,
        "also serve `/metrics` without authentication on this port (for a scraper on a private network); "
        "0: only the API's `/metrics`, which needs an admin or analyst key",
        OPS,
    )

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.secret_key == DEV_SECRET_KEY:
            problems.append(
                "OMNIALLOC_SECRET_KEY is the development default; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        elif len(self.secret_key) < MIN_SECRET_KEY_CHARS:
            problems.append(
                f"OMNIALLOC_SECRET_KEY has {len(self.secret_key)} characters; production needs at "
                f"least {MIN_SECRET_KEY_CHARS}"
            )
        if not self.console_secure_cookie:
            problems.append("OMNIALLOC_CONSOLE_SECURE_COOKIE must be true in production (serve behind HTTPS)")
        if problems:
            raise ValueError("OMNIALLOC_ENV=production refuses unsafe settings: " + "; ".join(problems))
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: the process environment) over the defaults.

        A mapping is read alone: variables missing from it take their defaults, whatever the
        process environment holds (tests and benchmarks build settings this way)."""
        if env is None:
            return cls()
        values = {name: f.get_default(call_default_factory=True) for name, f in cls.model_fields.items()}
        lowered = {k.upper(): v for k, v in env.items()}
        values.update(
            {name: lowered[PREFIX + name.upper()] for name in cls.model_fields if PREFIX + name.upper() in lowered}
        )
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied and validated (the process environment is not read again)."""
        return type(self)(**{**self.model_dump(), **changes})

    def redacted(self) -> dict[str, Any]:
        """Every setting, secrets masked: safe to print or log."""
        out = self.model_dump()
        for name in SECRET_FIELDS:
            if name == "database_url":
                out[name] = _redact_url(out[name])
            elif out[name]:
                out[name] = "***"
        return out


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: show only its scheme
        return url.split(":", 1)[0] + ":***"


def describe_error(exc: ValidationError) -> str:
    """One line per bad variable, named as the operator sets it."""
    lines = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if not err["loc"]:  # a check across settings (production mode): its message names the variables
            lines.append(msg)
            continue
        name = PREFIX + str(err["loc"][0]).upper()
        lines.append(f"{name}: {msg}" + ("" if _secret(err) else f" (got {err['input']!r})"))
    return "invalid settings:\n  " + "\n  ".join(lines)


def _secret(err: Any) -> bool:
    return bool(err["loc"]) and str(err["loc"][0]) in SECRET_FIELDS


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; unusable settings exit with a message (no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None


def markdown_reference() -> str:
    """docs/configuration.md: every setting with its variable, type, default and description, by section."""
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable. This page is generated from `omnialloc.config.Settings` "
        "(`python -m omnialloc.config > docs/configuration.md`); a test fails when it is out of date.",
        "",
        "Set `OMNIALLOC_ENV=production` in production: the process then refuses to start with the development "
        "secret key, a secret key shorter than "
        f"{MIN_SECRET_KEY_CHARS} characters, or `OMNIALLOC_CONSOLE_SECURE_COOKIE=false`. "
        "Secrets (`OMNIALLOC_SECRET_KEY`, `OMNIALLOC_SMTP_PASSWORD`, `OMNIALLOC_SMS_TOKEN`, the database "
        "password) never appear in logs or in `omnialloc config show`.",
        "",
    ]
    groups: dict[str, list[str]] = {}
    for name, f in Settings.model_fields.items():
        extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
        default = extra.get("shown_default")
        if default is None:
            value = f.get_default(call_default_factory=True)
            default = str(value).lower() if isinstance(value, bool) else str(value)
        shown = f"`{default}`" if default != "" else "empty"
        groups.setdefault(str(extra["group"]), []).append(
            f"| `{PREFIX}{name.upper()}` | {_type_name(f.annotation)} | {shown} | {f.description} |"
        )
    for group, rows in groups.items():
        lines += [f"## {group}", "", "| variable | type | default | what it does |", "|---|---|---|---|", *rows, ""]
    return "\n".join(lines)


def _type_name(annotation: Any) -> str:
    args = getattr(annotation, "__args__", None)
    if args:  # a Literal: its choices
        return " \\| ".join(f"`{a}`" for a in args)
    return {bool: "boolean", int: "integer", str: "string"}.get(annotation, str(annotation))


if __name__ == "__main__":  # pragma: no cover - `python -m omnialloc.config > docs/configuration.md`
    sys.stdout.write(markdown_reference())
