"""The walk that records ``api/examples.json`` (see ``api/examples.py``): a demo order captured, read,
accepted, packed and shipped, stock adjusted and read, on a scratch SQLite database with the demo network;
long lists are cut to their first entries.

Run ``python -m omnialloc.api.examples_walk`` after an API change to write the file again.
"""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from omnialloc.api import create_app
from omnialloc.api.examples import FILE
from omnialloc.config import Settings
from omnialloc.services.network.demo import load_demo
from omnialloc.store.engine import create_engine
from omnialloc.store.migrate import upgrade

_LIST_LIMIT = 2  # entries kept of a long list (explanations, events): an example shows the shape


def _trim(value: Any) -> Any:
    if isinstance(value, list):
        return [_trim(v) for v in value[:_LIST_LIMIT]]
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    return value


def generate() -> dict[str, Any]:
    """Run the walk on a scratch SQLite database with the demo network and record the bodies."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'examples.db'}"
        upgrade(url)
        engine = create_engine(url)
        key_file = Path(tmp) / "key"
        load_demo(engine=engine, key_file=key_file)
        client = create_app(Settings.from_env({}).replace(database_url=url), engine=engine).test_client()
        headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
        out: dict[str, Any] = {}

        def call(method: str, path: str, template: str, status: int, body: Any = None) -> Any:
            r = client.open(path, method=method, json=body, headers=headers)
            assert r.status_code == status, (path, r.status_code, r.get_json())
            entry = out.setdefault(f"{method} {template}", {})
            if body is not None:
                entry["request"] = body
            entry[str(status)] = _trim(r.get_json())
            return r.get_json()

        order = call("POST", "/orders", "/orders", 201, {
            "channel": "web", "external_id": "web-10231", "payment_mode": "PREPAID",
            "ship_to": {"name": "Asha Raman", "line1": "12 Anna Salai", "city": "Chennai", "pin": "600002",
                        "phone": "+919800000001", "email": "asha@example.com"},
            "lines": [{"sku": "SKU-0001", "qty": 2}, {"sku": "SKU-0002", "qty": 1}]})
        call("GET", f"/orders/{order['id']}", "/orders/{order_id}", 200)
        shipment = order["shipments"][0]["id"]
        call("POST", f"/shipments/{shipment}/accept", "/shipments/{shipment_id}/accept", 200)
        call("POST", f"/shipments/{shipment}/pack", "/shipments/{shipment_id}/pack", 200,
             {"weight_g": 900, "length_mm": 300, "width_mm": 200, "height_mm": 120})
        call("POST", f"/shipments/{shipment}/ship", "/shipments/{shipment_id}/ship", 200, {"awb": "PRP100000231"})
        call("POST", "/inventory/adjustments", "/inventory/adjustments", 200, {"adjustments": [
            {"node": "CHN-FC1", "sku": "SKU-0001", "delta": 24, "reason": "receipt", "note": "PO 4471"}]})
        call("GET", "/inventory/SKU-0001", "/inventory/{sku}", 200)
        engine.dispose()
    return out


if __name__ == "__main__":  # pragma: no cover - python -m omnialloc.api.examples_walk
    target = resources.files("omnialloc.api") / FILE
    text = json.dumps(generate(), indent=1, ensure_ascii=False) + "\n"
    with resources.as_file(target) as path:
        path.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
