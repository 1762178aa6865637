"""HTTP API of notifications: the dead-letter list, re-queue, and buyers' opt-outs; admin-only where it should be."""

import secrets

import pytest

from omnialloc.domain import Address, Order, OrderLine
from omnialloc.services.events import record


@pytest.fixture
def client(clean_engine):
    from omnialloc.api import create_app
    from omnialloc.config import Settings

    app = create_app(Settings.from_env({}), engine=clean_engine)
    return app.test_client()


def _key(uow_factory, role, **scope):
    from omnialloc.services.access import create_key

    with uow_factory() as uow:
        token, _ = create_key(uow, name=f"t-{role}", role=role, **scope)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(admin_token):
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def failed_notification(uow_factory):
    """An order confirmation whose SMS row is dead-lettered; returns its id."""
    import sqlalchemy as sa

    from omnialloc.store.tables.notifications import notifications as N

    with uow_factory() as uow:
        channel = uow.channels.list()[0].code
        sku = uow.skus.list()[0].code
        order = Order(id="ord_" + secrets.token_hex(6), channel=channel, external_id="API-1",
                      ship_to=Address(name="Asha", line1="1", city="Chennai", state="TN", pin="600002",
                                      phone="+919800000001", email="asha@example.com"),
                      lines=[OrderLine(1, sku, 1, 10_000)])
        uow.orders.add(order)
        record(uow, "order", order.id, "status_changed", "test", from_status="VALIDATED", to_status="ALLOCATED")
        uow.events.flush()  # events and outbox rows are queued until the commit; the UPDATE below needs them now
        uow.conn.execute(N.update().where(N.c.channel == "sms").values(status="failed", attempts=1,
                                                                       last_error="permanent failure: HTTP 400"))
        uow.commit()
        return uow.conn.execute(sa.select(N.c.id).where(N.c.channel == "sms")).scalar_one()


def test_failed_notifications_are_listed_for_admins(client, admin, failed_notification):
    response = client.get("/notifications?status=failed", headers=admin)
    assert response.status_code == 200
    [item] = response.json["items"]
    assert (item["id"], item["status"], item["channel"], item["kind"]) == (failed_notification, "failed", "sms",
                                                                            "order_confirmed")
    assert client.get("/notifications?status=pending", headers=admin).json["items"][0]["channel"] == "email"


def test_requeue_puts_a_dead_letter_back_in_the_queue(client, admin, failed_notification):
    response = client.post(f"/notifications/{failed_notification}/requeue", headers=admin)
    assert response.status_code == 200
    assert (response.json["status"], response.json["attempts"]) == ("pending", 0)
    assert client.get("/notifications?status=failed", headers=admin).json["items"] == []


def test_requeue_of_an_unknown_notification_is_404(client, admin):
    assert client.post("/notifications/ntf_nope/requeue", headers=admin).status_code == 404


def test_a_bad_status_filter_is_422(client, admin):
    response = client.get("/notifications?status=lost", headers=admin)
    assert response.status_code == 422


@pytest.mark.parametrize("role,scope", [("analyst", {}), ("node", {"node": None}), ("channel", {"channel": None})])
def test_only_admins_see_and_requeue_notifications(client, uow_factory, failed_notification, role, scope):
    with uow_factory(readonly=True) as uow:
        if "node" in scope:
            scope = {"node": uow.nodes.list()[0].code}
        if "channel" in scope:
            scope = {"channel": uow.channels.list()[0].code}
    headers = _key(uow_factory, role, **scope)
    for response in (client.get("/notifications?status=failed", headers=headers),
                     client.post(f"/notifications/{failed_notification}/requeue", headers=headers)):
        assert response.status_code == 403 and response.json["title"] == "Forbidden"


def test_requires_a_key(client):
    assert client.get("/notifications").status_code == 401


def test_preferences_round_trip(client, admin):
    assert client.get("/notification-preferences/cust-9", headers=admin).json == {
        "subject": "cust-9", "email": True, "sms": True, "updated_at": None}
    response = client.put("/notification-preferences/cust-9", json={"sms": False}, headers=admin)
    assert response.status_code == 200
    assert (response.json["email"], response.json["sms"]) == (True, False)
    assert client.get("/notification-preferences/cust-9", headers=admin).json["sms"] is False


@pytest.mark.parametrize("body", [{"sms": "no"}, {"sms": 0}, {"fax": False}, [], {"email": None, "x": 1}])
def test_bad_preference_bodies_are_422(client, admin, body):
    assert client.put("/notification-preferences/cust-9", json=body, headers=admin).status_code == 422


def test_email_subjects_are_case_insensitive(client, admin):
    client.put("/notification-preferences/Asha@Example.com", json={"email": False}, headers=admin)
    assert client.get("/notification-preferences/asha@example.com", headers=admin).json["email"] is False


@pytest.mark.parametrize("url", [
    "/notifications?cursor=not-a-cursor", "/notifications?cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgIngiXQ",
    "/notifications?order_id=%00", "/notifications?limit=0", "/notifications?kind=sms",
])
def test_bad_list_queries_are_422(client, admin, url):
    assert client.get(url, headers=admin).status_code == 422


@pytest.mark.parametrize("path", ["/notifications/%00x", "/notifications/" + "x" * 300])
def test_odd_ids_are_404(client, admin, path):
    assert client.get(path, headers=admin).status_code == 404
    assert client.post(path + "/requeue", headers=admin).status_code == 404


def test_a_subject_with_control_characters_is_422(client, admin):
    assert client.get("/notification-preferences/a%00b", headers=admin).status_code == 422
    assert client.put("/notification-preferences/a%01b", json={"sms": False}, headers=admin).status_code == 422


def test_the_dead_letter_list_pages_with_a_cursor(client, admin, failed_notification):
    first = client.get("/notifications?limit=1", headers=admin).json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(f"/notifications?limit=1&cursor={first['next_cursor']}", headers=admin).json
    assert len(second["items"]) == 1 and second["items"][0]["id"] != first["items"][0]["id"]
    assert second["next_cursor"] is None
