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
    # Misc
    secret_key: str = "dev-only-change-me"
    pickup_expiry_days: int = 5
    return_window_days: int = 30
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
