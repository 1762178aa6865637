"""Stock transfer orders: units moving from one node's stock to another's.

CREATED -> DISPATCHED (in transit: gone from the source's on-hand, counted
only on the transfer) -> RECEIVED (in the destination's on-hand, as counted
in: ``received_qty``), or CREATED -> CANCELLED (``states.TRANSFER_MACHINE``).
A transfer holds no reservation while CREATED. ``plan_key`` names the plan
that created it (rebalance: ``<plan id>:<from>-><to>``), so a re-run finds it
instead of doubling it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from omnialloc.domain.enums import TransferStatus


@dataclass(frozen=True)
class TransferLine:
    sku: str
    qty: int
    received_qty: int | None = None    # what the destination counted in (a short receipt is recorded)


@dataclass(frozen=True)
class Transfer:
    id: str
    source: str
    destination: str
    status: TransferStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    lines: tuple[TransferLine, ...] = ()   # by SKU
    reason: str = ""
    origin: str = "manual"                 # manual | rebalance | bopis
    dispatched_at: datetime | None = None
    received_at: datetime | None = None
    plan_key: str | None = None
    version: int = 1

    def touches(self, node: str) -> bool:
        return node in (self.source, self.destination)
