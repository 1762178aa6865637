"""Unit of work: one connection, one transaction, every repository on it.

    with UnitOfWork(engine) as uow:
        order = uow.orders.get(order_id, for_update=True)
        ...
        uow.commit()

Leaving the block without ``commit()`` (or with an exception) rolls back.
``readonly=True`` opens a read transaction that does not take SQLite's write
lock (a deferred BEGIN: a consistent snapshot; writes in it are a bug).
After ``commit()`` the unit may be used again; the next statement begins a
new transaction. Events (and their outbox rows) are queued and written just
before the commit (see ``repositories.events``), and with or after them the
shipment counters (see ``repositories.shipments``). A request that holds an
Idempotency-Key marks it spent in the transaction of its change
(``repositories.idempotency``).

The reference revision token (what the per-process caches are keyed by) is read
once per transaction, or taken on trust and checked later: see
:meth:`UnitOfWork.assume_revision`.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from omnialloc.store.engine import READONLY_OPTION
from omnialloc.store.fastexec import NOT_READ
from omnialloc.store.repositories.reference import ReferenceRepository
from omnialloc.store.repositories import (
    AllocationRepository,
    ApiKeyRepository,
    CarrierRepository,
    ChannelRepository,
    EventRepository,
    InventoryRepository,
    NodeRepository,
    OrderRepository,
    ShipmentRepository,
    SkuRepository,
)
from omnialloc.store.repositories.analytics import AnalyticsRepository
from omnialloc.store.repositories.backorders import BackorderJobRepository
from omnialloc.store.repositories.batch_runs import BatchRunRepository
from omnialloc.store.repositories.channel_sync import ChannelPushRepository, SkuAliasRepository
from omnialloc.store.repositories.carrier_booking import CarrierBookingRepository
from omnialloc.store.repositories.carrier_pickups import CarrierPickupRepository
from omnialloc.store.repositories.customers import CustomerRepository
from omnialloc.store.repositories.exports import ExportRepository
from omnialloc.store.repositories.failed_intakes import FailedIntakeRepository
from omnialloc.store.repositories.documents import DocumentRepository
from omnialloc.store.repositories.idempotency import IdempotencyRepository
from omnialloc.store.repositories.idempotency import mark_in as mark_idempotency_key
from omnialloc.store.repositories.invariants import InvariantScanRepository
from omnialloc.store.repositories.notifications import ChannelPreferenceRepository, NotificationRepository
from omnialloc.store.repositories.order_search import OrderSearchRepository
from omnialloc.store.repositories.outbound import OutboundRepository
from omnialloc.store.repositories.payment_requests import PaymentRequestRepository
from omnialloc.store.repositories.promise import PromiseRepository
from omnialloc.store.repositories.returns import ReturnRepository, StoreCreditRepository, WorkOrderRepository
from omnialloc.store.repositories.revision import REVISION_SEEN
from omnialloc.store.repositories.rules import RuleRepository
from omnialloc.store.repositories.stock_imports import StockImportRepository
from omnialloc.store.repositories.stock_prices import StockPriceRepository
from omnialloc.store.repositories.transfers import TransferRepository
from omnialloc.store.repositories.webhook_subscriptions import WebhookSubscriptionRepository
from omnialloc.store.repositories.work_queue import WorkQueueRepository


class StaleRevision(Exception):
    """The revision token a unit of work assumed was not the stored one: roll back and run it again."""


class UnitOfWork:
    conn: Connection
    _assumed: tuple | None = None  # (token,) while an assumed revision is unconfirmed

    def __init__(self, engine: Engine, *, readonly: bool = False, connection: Connection | None = None):
        """``connection``: an open connection to use (and leave open) instead of checking one out;
        for a write unit only (see ``services.context.Context.one_connection``)."""
        if connection is not None and readonly:
            raise ValueError("a read-only unit of work takes its own connection")
        self.engine = engine
        self.readonly = readonly
        self._borrowed = connection
        self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> "UnitOfWork":
        conn = self._borrowed if self._borrowed is not None else self.engine.connect()
        if self.readonly:
            conn = conn.execution_options(**{READONLY_OPTION: True})
        self.conn = conn
        conn.info.pop(REVISION_SEEN, None)  # the DBAPI connection's info outlives a checkout
        try:
            if conn.in_transaction():
                raise RuntimeError("the borrowed connection is in another unit of work's transaction")
            conn.begin()
        except BaseException:
            self._close()
            raise
        self.nodes = NodeRepository(conn)
        self.skus = SkuRepository(conn)
        self.inventory = InventoryRepository(conn)
        self.channels = ChannelRepository(conn)
        self.carriers = CarrierRepository(conn)
        self.orders = OrderRepository(conn)
        self.shipments = ShipmentRepository(conn)
        self.events = EventRepository(conn)
        self.allocations = AllocationRepository(conn)
        self.api_keys = ApiKeyRepository(conn)
        self.rules = RuleRepository(conn)
        self.returns = ReturnRepository(conn)
        self.store_credit = StoreCreditRepository(conn)
        self.payment_requests = PaymentRequestRepository(conn)
        self.analytics = AnalyticsRepository(conn)  # issue 28: KPI aggregates
        self.work_orders = WorkOrderRepository(conn)
        self.customers = CustomerRepository(conn)
        self.notifications = NotificationRepository(conn)
        self.preferences = ChannelPreferenceRepository(conn)
        self.transfers = TransferRepository(conn)
        self.stock_imports = StockImportRepository(conn)
        self.stock_prices = StockPriceRepository(conn)
        self.batch_runs = BatchRunRepository(conn)
        self.invariant_scan = InvariantScanRepository(conn)
        self.reference = ReferenceRepository(conn)
        self.backorder_jobs = BackorderJobRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.channel_push = ChannelPushRepository(conn)         # channels both ways (issue 27)
        self.sku_aliases = SkuAliasRepository(conn)
        self.outbound = OutboundRepository(conn)
        self.webhook_subscriptions = WebhookSubscriptionRepository(conn)
        self.failed_intakes = FailedIntakeRepository(conn)
        self.order_search = OrderSearchRepository(conn)
        self.exports = ExportRepository(conn)
        self.documents = DocumentRepository(conn)  # issue 26: sellers, default boxes, invoices
        self.carrier_booking = CarrierBookingRepository(conn)
        self.carrier_pickups = CarrierPickupRepository(conn)
        self.work_queue = WorkQueueRepository(conn)
        self.promise = PromiseRepository(conn)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
            self._forget_revision()
        finally:
            self._close()

    def _forget_revision(self) -> None:
        self._assumed = None
        if not self.conn.invalidated:  # (a dropped connection's info goes with it; touching it would reconnect)
            self.conn.info.pop(REVISION_SEEN, None)

    def _close(self) -> None:
        if self._borrowed is None:
            self.conn.close()

    def commit(self) -> None:
        # An Idempotency-Key the request holds is spent in the same transaction as its change (nothing
        # held, the usual case: one context-variable read).
        held = None if self.readonly else mark_idempotency_key(self.conn)
        # Last: the counter rows are the last rows this transaction locks (on PostgreSQL written by the
        # events' own statement when they fit it: one round trip less per allocation).
        counts = self.shipments.take_counts()
        if not self.events.flush(counts=counts):
            self.shipments.write_counts(counts)
        self.check_revision()  # an assumed revision nothing read along: read it now (before the commit, in it)
        self._forget_revision()
        if self.conn.in_transaction():
            self.conn.commit()
        if held is not None:
            held.committed = True

    def rollback(self) -> None:
        self.events.discard()
        self.shipments.discard_counts()
        self._forget_revision()
        if self.conn.in_transaction():
            self.conn.rollback()

    def revision(self) -> str | None:
        """The reference revision token (``tables.rules.rules_revision``) as this transaction sees it:
        read at most once per transaction, for the per-process caches of rules, network, SKUs, channels."""
        info = self.conn.info
        if REVISION_SEEN not in info:
            info[REVISION_SEEN] = self.rules.revision()
        return info[REVISION_SEEN]

    def saw_revision(self, token: str | None) -> None:
        """The token was read in this transaction by a statement that fetched it along with other data."""
        self.conn.info[REVISION_SEEN] = token

    def assume_revision(self, token: str | None) -> None:
        """Take ``token`` (the one the caches were last filled at) as this transaction's revision without
        reading it first, so the read can ride along a later statement: that statement's result goes to
        :meth:`confirm_revision`, or :meth:`commit` reads it. A different stored token raises
        :class:`StaleRevision` before anything commits; the caller rolls back and runs the unit again
        without assuming. Sound because every change of reference data writes a new random token: if the
        later statement still sees ``token``, no change committed before it, so what the caches held was
        what this transaction would have read. Nothing may be written on the strength of the cached data
        that outlives the transaction unless it is confirmed, and a refusal based on it (a validation
        error) must be re-checked without assuming."""
        if REVISION_SEEN in self.conn.info:
            raise RuntimeError("the transaction has already read its revision")
        self.conn.info[REVISION_SEEN] = token
        self._assumed = (token,)

    def check_revision(self) -> None:
        """Confirm an assumed revision now by reading the stored token (nothing assumed: nothing to do);
        raises :class:`StaleRevision` if it differs."""
        if self._assumed is not None:
            self.confirm_revision(self.rules.revision())

    def confirm_revision(self, token) -> None:
        """The stored token, read along another statement after :meth:`assume_revision` (``fastexec.NOT_READ``:
        that statement could not read it on this backend; the commit will)."""
        if self._assumed is not None and token is not NOT_READ:
            assumed, self._assumed = self._assumed[0], None
            if token != assumed:
                raise StaleRevision(f"reference revision {token!r}, not the assumed {assumed!r}")
