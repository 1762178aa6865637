"""Configuration: every setting is an ``OMNIALLOC_*`` environment variable, read once here.

Defaults run with no set-up at all: an SQLite file under ./var/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

PREFIX = "OMNIALLOC_"


def _default_db_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'omnialloc.db'}"


@dataclass(frozen=True)
class Settings:
    """All tunables. Field name ``foo_bar`` is read from ``OMNIALLOC_FOO_BAR``."""

    database_url: str = field(default_factory=_default_db_url)
    # Allocation
    auto_allocate: bool = True
    solver_time_limit_ms: int = 200
    reserve_retries: int = 3
    split_penalty_paise: int = 2000
    unfilled_penalty_paise: int = 100_000
    rejection_penalty_paise: int = 500   # per recent rejection by a node, added to its plans
    rejection_window_days: int = 30
    # Limits
    max_lines_per_order: int = 100
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 200
    max_rules: int = 500
    # Notifications
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "orders@omnialloc.local"
    sms_provider: str = "log"            # log | http
    sms_url: str = ""
    sms_token: str = ""
    notify_max_attempts: int = 6
    tracking_base_url: str = "http://127.0.0.1:8000/track"
    email_provider: str = "smtp"         # smtp | log
    smtp_ssl: bool = False               # implicit TLS (port 465) instead of STARTTLS
    smtp_cafile: str = ""                # extra CA to trust for the relay's certificate
    smtp_timeout_seconds: int = 10
    sms_timeout_seconds: int = 10
    sms_sender_id: str = ""
    templates_dir: str = ""              # overrides notify/templates file by file
    notify_brand: str = "omnialloc"      # seller name in messages and the From header
    notify_channels: str = "email,sms"
    notify_mandatory: str = "order_cancelled,refund_issued,ready_for_pickup"  # sent even to customers who opted out (a pickup needs its code)
    notify_backoff_seconds: int = 30     # first retry delay; doubles per attempt
    notify_backoff_max_seconds: int = 3600
    notify_batch_size: int = 20
    notify_poll_seconds: int = 2
    notify_lease_seconds: int = 300      # a row stuck in 'sending' this long is claimable again
    # Backorder retries (services.orders.backorders), run by notify-worker after a change queues them
    backorder_poll_ms: int = 500         # wait between empty polls of the queue
    backorder_batch_size: int = 20       # SKUs a worker thread claims per pass (their queued rows)
    backorder_threads: int = 2           # retry threads per worker process (each holds its own SKUs)
    backorder_lease_seconds: int = 300   # a claimed row whose worker vanished is claimable again after this
    backorder_sweep_seconds: int = 600   # retry every waiting SKU this often (e.g. capacity freed overnight)
    # Misc
    secret_key: str = "dev-only-change-me"
    console_session_minutes: int = 480    # absolute lifetime of an operations console login
    console_secure_cookie: bool = False   # set behind HTTPS: the console cookie is then sent over HTTPS only
    pickup_expiry_days: int = 5
    import_history_days: int = 180        # stock-import change rows kept for what-if replays
    return_window_days: int = 30
    # Returns (issue 8)
    return_auto_approve: bool = True      # approve eligible returns at once (else POST /returns/{id}/approve)
    return_window_days_by_category: str = "electronics=10,beauty=7"  # category=days; min with the channel's window
    exchange_ship_policy: str = "after_pickup"  # after_pickup | immediately
    return_restock_value_pct: int = 10    # of unit price: what a returned unit is worth at a node short of it
    return_target_units: int = 50         # free stock a node aims for per SKU (or 2x safety stock if higher)
    prices_enabled: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            kind = f.type if isinstance(f.type, type) else {"bool": bool, "int": int, "str": str}[f.type]
            if kind is bool:
                values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif kind is int:
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise SystemExit(f"{PREFIX}{f.name.upper()} must be an integer, got {raw!r}") from exc
            else:
                values[f.name] = raw
        return cls(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
