"""Tracking: carriers' scan events in, and the public tracking page's view of one AWB."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from omnialloc.api.schemas.common import Open, Strict


class TrackingEventIn(Strict):
    awb: Annotated[str, Field(min_length=1, max_length=40)]
    status: Literal["picked_up", "in_transit", "out_for_delivery", "delivered", "failed_attempt",
                    "rto_initiated", "rto_delivered"]
    at: Annotated[str, Field(max_length=40, description="ISO 8601 time of the scan")]
    location: Annotated[str, Field(max_length=200)] = ""
    remark: Annotated[str, Field(max_length=500)] = ""
    event_id: Annotated[str | None, Field(max_length=100)] = None


class TrackingIn(Strict):
    events: Annotated[list[TrackingEventIn], Field(min_length=1, max_length=500)]


class TrackingResult(Open):
    index: int
    awb: str
    result: Literal["applied", "duplicate", "stale", "ignored", "unknown_awb"]
    status: str | None = None
    reason: str | None = None


class TrackingOut(Open):
    results: list[TrackingResult]
    applied: int


class TimelineEntry(Open):
    status: str | None = None
    at: str
    location: str = ""


class PublicTrackingOut(Open):
    awb: str
    carrier: str
    status: str
    promised_days: int | None = None
    timeline: list[TimelineEntry]
    carrier_name: str | None = None
    carrier_url: str | None = Field(None, description="The carrier's own tracking page, when configured")
    service: str | None = Field(None, description="surface, air or express")
    delivery_date: str | None = Field(None, description="Estimated delivery date (EDD) at the destination")
    deliver_by: str | None = Field(None, description="The end of the EDD (UTC)")
