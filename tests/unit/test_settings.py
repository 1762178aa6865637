"""Settings: one typed model, documented from itself, refusing unsafe production values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from omnialloc.config import DEV_SECRET_KEY, Settings, SettingsError, get_settings, markdown_reference

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 48


def test_the_configuration_reference_is_generated_from_the_model():
    on_disk = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert on_disk == markdown_reference(), (
        "docs/configuration.md is out of date: run `.venv/bin/python -m omnialloc.config > docs/configuration.md`"
    )


def test_every_setting_is_described_and_listed_under_its_variable():
    text = markdown_reference()
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 10, name
        assert f"| `OMNIALLOC_{name.upper()}` |" in text
    assert text.count("`OMNIALLOC_SECRET_KEY` |") == 1  # once, not twice as the old README had it


def test_the_readme_points_to_the_reference():
    assert "docs/configuration.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_variables_are_read_with_their_prefix_and_typed(monkeypatch):
    monkeypatch.setenv("OMNIALLOC_SMTP_PORT", "2525")
    monkeypatch.setenv("OMNIALLOC_AUTO_ALLOCATE", "off")
    monkeypatch.setenv("omnialloc_notify_brand", "Shop")  # names are case-insensitive, as in a shell's env
    s = Settings()
    assert (s.smtp_port, s.auto_allocate, s.notify_brand) == (2525, False, "Shop")


def test_a_mapping_is_read_alone_without_the_process_environment(monkeypatch):
    monkeypatch.setenv("OMNIALLOC_SMTP_PORT", "2525")
    s = Settings.from_env({"OMNIALLOC_MAX_RULES": "7"})
    assert (s.max_rules, s.smtp_port) == (7, 25)


def test_replace_validates_the_change():
    s = Settings.from_env({})
    assert s.replace(max_rules=3).max_rules == 3 and s.max_rules == 500
    with pytest.raises(ValidationError):
        s.replace(max_rules="many")


def test_a_bad_value_names_the_variable_and_hides_secrets(monkeypatch):
    get_settings.cache_clear()
    monkeypatch.setenv("OMNIALLOC_SMTP_PORT", "twenty-five")
    monkeypatch.setenv("OMNIALLOC_SMS_PROVIDER", "pigeon")
    try:
        with pytest.raises(SettingsError) as err:
            get_settings()
    finally:
        get_settings.cache_clear()
    text = str(err.value)
    assert "OMNIALLOC_SMTP_PORT" in text and "'twenty-five'" in text
    assert "OMNIALLOC_SMS_PROVIDER" in text and "'pigeon'" in text


@pytest.mark.parametrize(
    "changes, complaint",
    [
        ({}, "development default"),
        ({"secret_key": "short-but-not-default"}, "at least 32"),
        ({"secret_key": GOOD_KEY, "console_secure_cookie": False}, "CONSOLE_SECURE_COOKIE"),
    ],
)
def test_production_refuses_unsafe_settings(changes, complaint):
    values = {"env": "production", "secret_key": DEV_SECRET_KEY, "console_secure_cookie": True, **changes}
    with pytest.raises(ValidationError, match=complaint):
        Settings.from_env({}).replace(**values)


def test_production_accepts_a_real_key_and_a_secure_cookie():
    s = Settings.from_env({}).replace(env="production", secret_key=GOOD_KEY, console_secure_cookie=True)
    assert s.env == "production"


def test_development_keeps_the_zero_setup_defaults():
    s = Settings.from_env({})
    assert s.secret_key == DEV_SECRET_KEY and s.console_secure_cookie is False


def test_redacted_settings_show_no_secret():
    s = Settings.from_env({}).replace(
        secret_key=GOOD_KEY,
        smtp_password="hunter2-pw",
        sms_token="tok-123456",
        database_url="postgresql://app:db-pass-9@db.internal/oms",
    )
    shown = repr(s.redacted())
    for secret in (GOOD_KEY, "hunter2-pw", "tok-123456", "db-pass-9"):
        assert secret not in shown
    assert "db.internal" in shown


@pytest.mark.parametrize(
    "argv",
    [
        [str(Path(sys.executable).with_name("omnialloc")), "db", "upgrade"],
        [sys.executable, "-c", "import omnialloc.api.wsgi"],  # what gunicorn loads
    ],
)
def test_a_production_process_with_the_default_key_does_not_start(argv, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIALLOC_")}
    env.update(OMNIALLOC_ENV="production", OMNIALLOC_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode != 0
    assert "OMNIALLOC_SECRET_KEY is the development default" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "x.db").exists()  # refused before touching the database
