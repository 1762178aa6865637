"""A local HTTP server that plays a carrier's REST API (bearer token, idempotency key), failures included.

* ``POST /api/v2/shipments``: books; the same ``Idempotency-Key`` again returns the first booking (200, not 201)
  and books nothing new. A PIN listed in ``unserviceable`` is a 400 ``{"error": {"code", "message"}}``.
* ``POST /api/v2/shipments/{awb}/cancel``, ``POST /api/v2/pickups``, ``GET /api/v2/shipments/{awb}/scans``.

Failure injection: ``fail(path_part, status, times, retry_after)``; ``stall(path_part, seconds)`` books first,
then answers too late; ``say_200_failure(path_part, remark)`` answers ``{"success": false, "rmk": ...}``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time

from werkzeug import Request, Response

TOKEN = "carrier-secret-token-0123456789"
PDF = b"%PDF-1.4\n% fake carrier label\n"


class FakeCarrier:
    def __init__(self, server, token: str = TOKEN):
        self.token = token
        self.bookings: dict[str, dict] = {}            # idempotency key -> booking
        self.booking_bodies: list[dict] = []          # every body that created a booking
        self.requests: list[tuple[str, str, dict, object]] = []
        self.cancelled: list[str] = []
        self.pickups: dict[str, dict] = {}
        self.scans: dict[str, list[dict]] = {}
        self.unserviceable: set[str] = set()
        self._failures: list[list] = []
        self._stalls: list[list] = []
        self._remarks: list[list] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    def fail(self, path_part: str, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self._failures.append([path_part, status, times, retry_after])

    def stall(self, path_part: str, seconds: float) -> None:
        self._stalls.append([path_part, seconds])

    def say_200_failure(self, path_part: str, remark: str) -> None:
        self._remarks.append([path_part, remark])

    def _handle(self, request: Request) -> Response:
        with self._lock:
            body = request.get_json(silent=True) if request.data else None
            self.requests.append((request.method, request.path, dict(request.headers), body))
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return _json({"error": {"code": "unauthorized", "message": "invalid token"}}, 401)
            for failure in self._failures:
                if failure[0] in request.path and failure[2] > 0:
                    failure[2] -= 1
                    headers = {"Retry-After": failure[3]} if failure[3] else {}
                    return _json({"error": {"code": "unavailable", "message": "booking service busy"}},
                                 failure[1], headers)
            remark = next((r for r in self._remarks if r[0] in request.path), None)
            if remark:
                self._remarks.remove(remark)
                return _json({"success": False, "rmk": remark[1]})
            stall = next((s for s in self._stalls if s[0] in request.path), None)
            if stall:
                self._stalls.remove(stall)
            response = self._route(request, body)
        if stall:
            time.sleep(stall[1])
        return response

    def _route(self, request: Request, body) -> Response:
        path, method = request.path, request.method
        if path == "/api/v2/shipments" and method == "POST":
            return self._book(request, body)
        if (m := re.fullmatch(r"/api/v2/shipments/([^/]+)/cancel", path)) and method == "POST":
            awb = m[1]
            if awb not in {b["waybill"] for b in self.bookings.values()}:
                return _json({"error": {"code": "not_found", "message": f"waybill {awb} not found"}}, 404)
            self.cancelled.append(awb)
            return _json({"success": True, "waybill": awb, "status": "cancelled"})
        if path == "/api/v2/pickups" and method == "POST":
            key = request.headers.get("Idempotency-Key", "")
            ref = self.pickups.setdefault(key, {"pickup_id": f"PU-{len(self.pickups) + 1:05d}", "body": body})
            return _json({"success": True, "data": {"pickup_id": ref["pickup_id"]}})
        if (m := re.fullmatch(r"/api/v2/shipments/([^/]+)/scans", path)) and method == "GET":
            return _json({"success": True, "data": {"waybill": m[1], "scans": self.scans.get(m[1], [])}})
        return _json({"error": {"code": "not_found", "message": "no such route"}}, 404)

    def _book(self, request: Request, body) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return _json({"error": {"code": "bad_request", "message": "Idempotency-Key header is required"}}, 400)
        if key in self.bookings:
            return _json(self._answer(self.bookings[key]), 200)
        if not isinstance(body, dict) or not isinstance(body.get("consignee"), dict):
            return _json({"error": {"code": "bad_request", "message": "consignee is required"}}, 400)
        pin = body["consignee"].get("pincode")
        if pin in self.unserviceable:
            return _json({"error": {"code": "unserviceable", "message": f"Pincode {pin} is not serviceable"}}, 400)
        booking = {"waybill": f"FC{len(self.bookings) + 1:010d}", "sort_code": f"S/{pin[:3]}/01",
                   "booking_id": f"BK-{len(self.bookings) + 1}"}
        self.bookings[key] = booking
        self.booking_bodies.append(body)
        return _json(self._answer(booking), 201)

    @staticmethod
    def _answer(booking: dict) -> dict:
        return {"success": True, "data": {"packages": [{"waybill": booking["waybill"], "sort_code": booking["sort_code"],
                                                        "label": base64.b64encode(PDF).decode()}],
                                          "booking_id": booking["booking_id"]}}


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")
