"""Customer-level resources are scoped to the caller's channel (issue 20, item 6).

A channel key used to read and change any customer's notification preferences and read any
customer's store credit, another channel's included. A channel's customers are those its
orders name: by customer id, email address (any case) or phone number (any spacing).
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.conftest import auth, order_body


def _capture(client, admin, ext: str, channel: str, **kw) -> dict:
    r = client.post("/orders", json=order_body(ext, channel=channel, **kw), headers=admin)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _preferences(uow_factory) -> list[tuple]:
    from omnialloc.store.tables.notifications import customer_preferences

    with uow_factory(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(sa.select(customer_preferences)
                                                   .order_by(customer_preferences.c.subject))]


def _shopper(client, admin, channel: str, n: int) -> dict:
    ship_to = {"name": "B", "line1": "1 Road", "city": "Chennai", "pin": "600002",
               "email": f"Shopper.{channel}{n}@Example.com", "phone": f"+91 98400-{n:05d}"}
    return _capture(client, admin, f"scope-{channel}-{n}", channel, customer_id=f"cust-{channel}-{n}", ship_to=ship_to)


def test_a_channel_key_reaches_its_own_customers_preferences_by_id_email_or_phone(client, keys):
    admin, web = auth(keys["admin"]), auth(keys["channel"])
    _shopper(client, admin, "web", 1)
    for subject in ("cust-web-1", "shopper.web1@example.com", "SHOPPER.WEB1@EXAMPLE.COM", "+919840000001",
                    "+91 98400-00001"):
        assert client.get(f"/notification-preferences/{subject}", headers=web).status_code == 200, subject
        r = client.put(f"/notification-preferences/{subject}", json={"sms": False}, headers=web)
        assert r.status_code == 200 and r.get_json()["sms"] is False, (subject, r.get_json())


def test_another_channels_customer_is_not_found_and_not_changed(client, keys, uow_factory):
    admin, web = auth(keys["admin"]), auth(keys["channel"])
    _shopper(client, admin, "amazon", 2)
    before = _preferences(uow_factory)
    for subject in ("cust-amazon-2", "shopper.amazon2@example.com", "+919840000002", "never-ordered"):
        r = client.get(f"/notification-preferences/{subject}", headers=web)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", (subject, r.get_json())
        r = client.put(f"/notification-preferences/{subject}", json={"email": False, "sms": False}, headers=web)
        assert r.status_code == 404, (subject, r.get_json())
    assert _preferences(uow_factory) == before
    # The owning channel and the admin still reach that customer.
    assert client.put("/notification-preferences/cust-amazon-2", json={"sms": False},
                      headers=auth(keys["other_channel"])).status_code == 200
    assert client.get("/notification-preferences/cust-amazon-2", headers=admin).get_json()["sms"] is False


def test_a_customer_of_two_channels_is_reached_by_both(client, keys):
    admin = auth(keys["admin"])
    _capture(client, admin, "both-web", "web", customer_id="cust-both")
    _capture(client, admin, "both-amazon", "amazon", customer_id="cust-both")
    for key in ("channel", "other_channel"):
        assert client.get("/notification-preferences/cust-both", headers=auth(keys[key])).status_code == 200


def _credit(uow_factory, customer: str, amount: int, channel: str | None, reason: str) -> None:
    from omnialloc.store.repositories.returns import StoreCreditRepository

    with uow_factory() as uow:
        StoreCreditRepository(uow.conn).move(customer, amount, actor="test", reason=reason, channel=channel)
        uow.commit()


def test_store_credit_is_read_only_by_the_customers_channels(client, keys, uow_factory):
    admin, web = auth(keys["admin"]), auth(keys["channel"])
    _shopper(client, admin, "amazon", 3)
    _credit(uow_factory, "cust-amazon-3", 5000, "amazon", "amazon return")
    r = client.get("/customers/cust-amazon-3/store-credit", headers=web)
    assert r.status_code == 404 and "cust-amazon-3" in r.get_json()["detail"], r.get_json()
    r = client.get("/customers/cust-amazon-3/store-credit", headers=auth(keys["other_channel"]))
    assert r.status_code == 200 and r.get_json()["balance_paise"] == 5000


def test_a_channel_sees_the_whole_balance_but_only_its_own_ledger_entries(client, keys, uow_factory):
    admin = auth(keys["admin"])
    _capture(client, admin, "ledger-web", "web", customer_id="cust-ledger")
    _capture(client, admin, "ledger-amazon", "amazon", customer_id="cust-ledger")
    _credit(uow_factory, "cust-ledger", 3000, "web", "web return")
    _credit(uow_factory, "cust-ledger", 2000, "amazon", "amazon return")
    _credit(uow_factory, "cust-ledger", 100, None, "goodwill")
    web = client.get("/customers/cust-ledger/store-credit", headers=auth(keys["channel"])).get_json()
    assert web["balance_paise"] == 5100
    assert [e["reason"] for e in web["ledger"]] == ["web return", "goodwill"]
    everything = client.get("/customers/cust-ledger/store-credit", headers=admin).get_json()
    assert [e["reason"] for e in everything["ledger"]] == ["web return", "amazon return", "goodwill"]
