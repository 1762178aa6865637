"""Load the demo India network from ``data/`` (``omnialloc load-demo``); idempotent.

What "running twice changes nothing" means here:

* nodes, SKUs, channels, carriers, rate cards and serviceability are upserted,
  node calendars too, and the transit table is replaced by the folder's
  ``transit_times.csv`` (issue 24; identical data writes nothing):
  missing rows are inserted, rows that differ from the files are updated to
  the files' values, identical rows are not written;
* inventory rows are created with the files' stock when missing and otherwise
  left alone, so re-loading never resets or doubles live stock (reservations
  and shipments keep their meaning);
* one admin API key named ``demo-admin`` is created the first time and its
  token written to ``var/demo-admin-key`` (the banner's curl uses it); later
  runs keep it;
* ``with_orders=True`` captures the sample orders through the order service;
  capture is idempotent on (channel, external_id), so a second run adds none.

Returns the row count per table after loading.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from omnialloc.config import get_settings
from omnialloc.domain.errors import DomainError
from omnialloc.logistics.promise_files import load_calendars, load_transit_table
from omnialloc.network_files import load_network, load_sample_orders
from omnialloc.services.access import SYSTEM, create_key, hash_key
from omnialloc.services.context import Context
from omnialloc.services.network.cache import invalidate
from omnialloc.services.orders.lifecycle import capture
from omnialloc.store.engine import has_schema, make_engine
from omnialloc.store.uow import UnitOfWork

log = logging.getLogger(__name__)

DEMO_KEY_NAME = "demo-admin"
DEFAULT_KEY_FILE = Path("var") / "demo-admin-key"
COUNTED = ("nodes", "skus", "inventory", "channels", "carriers", "rate_cards", "serviceability", "node_calendars",
           "transit_times", "api_keys", "orders")


def load_demo(data_dir: str | Path | None = None, with_orders: bool = False, *, engine=None,
              key_file: str | os.PathLike | None = DEFAULT_KEY_FILE) -> dict[str, int]:
    """Upsert the demo network (and optionally capture sample orders); returns row counts per table.

    ``data_dir`` defaults to the repo's data/ (see omnialloc.network_files); ``engine`` to the
    configured database; ``key_file=None`` skips the demo admin key.
    """
    engine = engine or make_engine(get_settings().database_url)
    _require_schema(engine)
    net = load_network(data_dir)
    calendars = load_calendars(data_dir, [n.code for n in net.nodes])
    transit = load_transit_table(data_dir, net.carriers)
    with UnitOfWork(engine) as uow:
        result = uow.reference.sync_network(
            nodes=net.nodes, skus=net.skus, channels=net.channels, carriers=net.carriers,
            rate_cards=net.rate_cards, serviceability=net.serviceability, inventory=net.inventory)
        promise_changed = bool(uow.promise.set_calendars(calendars)) | uow.promise.replace_transit(transit.rows)
        if key_file is not None:
            _ensure_demo_key(uow, Path(key_file))
        uow.commit()
    if result.changed or promise_changed:
        invalidate()
    if with_orders:
        _capture_sample_orders(engine, data_dir)
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.reference.row_counts(COUNTED)


def _require_schema(engine) -> None:
    if not has_schema(engine):
        raise DomainError("the database has no schema yet; run `omnialloc db upgrade` first")


def _ensure_demo_key(uow, key_file: Path) -> None:
    """One demo admin key whose token is in ``key_file``; re-issued only if the file was lost."""
    existing = uow.api_keys.get_by_name(DEMO_KEY_NAME)
    if existing is not None and key_file.is_file():
        token = key_file.read_text().strip()
        if hash_key(token) == existing.key_hash:
            return
    if existing is not None:  # the token is gone (file deleted or from another DB): replace the key
        uow.api_keys.revoke(existing.id)
    token, _ = create_key(uow, name=DEMO_KEY_NAME, role="admin")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(token + "\n")
    try:
        key_file.chmod(0o600)
    except OSError:  # pragma: no cover - e.g. a filesystem without modes
        pass
    log.warning("demo admin key written to %s", key_file)


def _capture_sample_orders(engine, data_dir) -> int:
    """Capture the sample orders through the order service; returns how many were new."""
    ctx = Context(engine=engine, settings=get_settings())
    created = 0
    for body in load_sample_orders(data_dir):
        _, is_new = capture(ctx, SYSTEM, body)
        created += bool(is_new)
    return created
