"""OpenAPI links between the API's operations, for Schemathesis's stateful phase.

The served spec has no links, and the ones Schemathesis infers from names reach few operations. These
say how a real client walks the API: capture an order, then read / hold / cancel it and accept / pack /
ship its shipment, post a carrier scan for the AWB, raise a return of it, approve and receive the return,
close the work order it opened; create a rule or a transfer and act on it; read and re-queue the order's
messages. Few links per step, so that a chain of a few random steps often goes deep. Each
link is written as (source operation, status) -> target operation with parameters as OpenAPI runtime
expressions (``$response.body#/...``, ``$request.path.x``) and, where the target's body must agree with
the source (a rule id to reorder, the AWB of a scan), a request body.

``with_links(spec)`` returns a copy of the spec with these links added; the served spec is untouched.
"""

from __future__ import annotations

import copy

ORDER = "$response.body#/id"
FIRST_SHIPMENT = "$response.body#/shipments/0/id"
SAME_ORDER = "$request.path.order_id"
SAME_SHIPMENT = "$request.path.shipment_id"
FIRST_ITEM = "$response.body#/items/0/id"

# (source "METHOD /path", status) -> {link name: (target "METHOD /path", parameters, request body or None)}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict, dict | None]]] = {}


def link(source: str, statuses: tuple[str, ...], name: str, target: str, parameters: dict,
         body: dict | None = None) -> None:
    for status in statuses:
        LINKS.setdefault((source, status), {})[name] = (target, parameters, body)


_CAPTURED = ("201", "200")  # 200: the same (channel, external_id) again
for _name, _target, _params in [
    ("GetOrder", "GET /orders/{order_id}", {"order_id": ORDER}),
    ("CancelOrder", "POST /orders/{order_id}/cancel", {"order_id": ORDER}),
    ("HoldOrder", "POST /orders/{order_id}/hold", {"order_id": ORDER}),
    ("AcceptShipment", "POST /shipments/{shipment_id}/accept", {"shipment_id": FIRST_SHIPMENT}),
    ("OrderNotifications", "GET /notifications", {"query.order_id": ORDER}),
    ("SetBuyerPreferences", "PUT /notification-preferences/{subject}", {"subject": "$response.body#/customer_id"}),
]:
    link("POST /orders", _CAPTURED, _name, _target, _params)

link("POST /orders/{order_id}/hold", ("200",), "ReleaseOrder", "POST /orders/{order_id}/release",
     {"order_id": SAME_ORDER})
link("POST /shipments/{shipment_id}/accept", ("200",), "PackShipment", "POST /shipments/{shipment_id}/pack",
     {"shipment_id": SAME_SHIPMENT})
link("POST /shipments/{shipment_id}/accept", ("200",), "RejectShipment", "POST /shipments/{shipment_id}/reject",
     {"shipment_id": SAME_SHIPMENT})
link("POST /shipments/{shipment_id}/pack", ("200",), "ShipShipment", "POST /shipments/{shipment_id}/ship",
     {"shipment_id": SAME_SHIPMENT})
link("POST /shipments/{shipment_id}/ship", ("200",), "TrackParcel", "GET /track/{awb}",
     {"awb": "$response.body#/awb"})
for _status in ("in_transit", "delivered"):
    link("POST /shipments/{shipment_id}/ship", ("200",), f"CarrierScan{_status.title().replace('_', '')}",
         "POST /tracking/{carrier}", {"carrier": "$response.body#/carrier"},
         {"events": [{"awb": "$response.body#/awb", "status": _status, "at": "2099-01-01T00:00:00Z"}]})
# A return of the order once a scan delivered it (the scan is another link from the same shipment).
link("POST /shipments/{shipment_id}/ship", ("200",), "ReturnDeliveredOrder", "POST /orders/{order_id}/returns",
     {"order_id": "$response.body#/order_id"})
link("POST /orders/{order_id}/returns", ("201",), "ApproveReturn", "POST /returns/{return_id}/approve",
     {"return_id": "$response.body#/id"})
link("POST /orders/{order_id}/returns", ("201",), "RejectReturn", "POST /returns/{return_id}/reject",
     {"return_id": "$response.body#/id"})
for _grade in ("A", "B"):
    link("POST /returns/{return_id}/approve", ("200",), f"ReceiveGrade{_grade}", "POST /returns/{return_id}/receive",
         {"return_id": "$response.body#/id"}, {"units": [{"line_no": 1, "grade": _grade, "qty": 1}]})
link("POST /returns/{return_id}/receive", ("200",), "CompleteWorkOrder", "POST /work-orders/{work_order_id}/complete",
     {"work_order_id": "$response.body#/work_orders/0/id"}, {"restocked": 1, "scrapped": 0})

_RULE = "$response.body#/id"
for _name, _target in [("GetRule", "GET /rules/{rule_id}"), ("PatchRule", "PATCH /rules/{rule_id}"),
                       ("DeleteRule", "DELETE /rules/{rule_id}"), ("DisableRule", "POST /rules/{rule_id}/disable"),
                       ("EnableRule", "POST /rules/{rule_id}/enable"),
                       ("RuleVersions", "GET /rules/{rule_id}/versions")]:
    link("POST /rules", ("201",), _name, _target, {"rule_id": _RULE})
link("POST /rules", ("201",), "ReorderRule", "POST /rules/reorder", {}, {"rule_ids": [_RULE]})
link("POST /rules/{rule_id}/disable", ("200",), "EnableAgain", "POST /rules/{rule_id}/enable",
     {"rule_id": "$request.path.rule_id"})

_TRANSFER = "$response.body#/id"
for _name, _target in [("GetTransfer", "GET /transfers/{transfer_id}"),
                       ("DispatchTransfer", "POST /transfers/{transfer_id}/dispatch"),
                       ("CancelTransfer", "POST /transfers/{transfer_id}/cancel")]:
    link("POST /transfers", ("201",), _name, _target, {"transfer_id": _TRANSFER})
link("POST /transfers/{transfer_id}/dispatch", ("200",), "ReceiveTransfer", "POST /transfers/{transfer_id}/receive",
     {"transfer_id": "$request.path.transfer_id"})

link("GET /notifications", ("200",), "GetNotification", "GET /notifications/{notification_id}",
     {"notification_id": FIRST_ITEM})
link("GET /notifications", ("200",), "RequeueNotification", "POST /notifications/{notification_id}/requeue",
     {"notification_id": FIRST_ITEM})


def _ref(label: str) -> str:
    method, path = label.split(" ", 1)
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


def with_links(spec: dict) -> dict:
    """A copy of ``spec`` with ``LINKS`` added to its responses (a link to an unknown operation is an error)."""
    spec = copy.deepcopy(spec)
    for (source, status), links in LINKS.items():
        method, path = source.split(" ", 1)
        response = spec["paths"][path][method.lower()]["responses"][status]
        for name, (target, parameters, body) in links.items():
            t_method, t_path = target.split(" ", 1)
            assert t_method.lower() in spec["paths"][t_path], f"link {name} to unknown operation {target}"
            definition = {"operationRef": _ref(target), "parameters": dict(parameters)}
            if body is not None:  # sent as written: merged into a generated body, a list keeps random extras
                definition["requestBody"] = body
                definition["x-schemathesis"] = {"merge_body": False}
            response.setdefault("links", {})[name] = definition
    return spec
