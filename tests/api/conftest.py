"""API test fixtures: an app on the clean demo store, a client, and one key per role."""

from __future__ import annotations

import json

import pytest

from omnialloc.config import Settings
from omnialloc.services.fulfilment.tracking import sign

CARRIER_SECRET = "test-carrier-secret"


@pytest.fixture
def settings(clean_db_url) -> Settings:
    return Settings(database_url=clean_db_url)


@pytest.fixture
def app(settings, clean_engine):
    from omnialloc.api import create_app
    from omnialloc.services.network import cache

    cache.invalidate()
    app = create_app(settings, engine=clean_engine)
    app.config["TESTING"] = True
    with clean_engine.begin() as conn:  # every demo carrier gets a webhook secret for signed tracking
        from omnialloc.store.repositories.carriers import CarrierRepository

        repo = CarrierRepository(conn)
        for carrier in repo.list():
            repo.set_webhook_secret(carrier.code, CARRIER_SECRET)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def keys(uow_factory) -> dict[str, str]:
    """Bearer tokens: admin, analyst, channel (web), node (CHN-FC1 and MUM-FC1), carrier (XPR, ECO)."""
    from omnialloc.services.access import create_key

    specs = {
        "admin": dict(role="admin"),
        "analyst": dict(role="analyst"),
        "channel": dict(role="channel", channel="web"),
        "other_channel": dict(role="channel", channel="amazon"),
        "node_chn": dict(role="node", node="CHN-FC1"),
        "node_mum": dict(role="node", node="MUM-FC1"),
        "carrier_xpr": dict(role="carrier", carrier="XPR"),
        "carrier_eco": dict(role="carrier", carrier="ECO"),
    }
    out = {}
    with uow_factory() as uow:
        for name, spec in specs.items():
            out[name], _ = create_key(uow, name=f"test-{name}", **spec)
        uow.commit()
    return out


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def order_body(external_id: str = "ext-1", *, pin: str = "600002", lines=None, payment_mode: str = "PREPAID",
               channel: str = "web", **extra) -> dict:
    body = {
        "channel": channel, "external_id": external_id, "payment_mode": payment_mode,
        "ship_to": {"name": "Asha Raman", "line1": "12 Anna Salai", "city": "Chennai", "pin": pin,
                    "phone": "+919800000001", "email": "asha@example.com"},
        "lines": lines if lines is not None else [{"sku": "SKU-0001", "qty": 1}],
    }
    body.update(extra)
    return body


def signed_tracking(client, carrier: str, events: list[dict], secret: str = CARRIER_SECRET):
    raw = json.dumps({"events": events}).encode()
    return client.post(f"/tracking/{carrier}", data=raw, content_type="application/json",
                       headers={"X-Omnialloc-Signature": sign(secret, raw)})
