"""Carriers with their zone rate cards and serviceability (one aggregate: they change together)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import sqlalchemy as sa

from omnialloc.domain import Carrier, RateCard, Serviceability, Zone
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, changed
from omnialloc.store.tables.network import carriers, rate_cards, serviceability

_CARRIER = ("code", "name", "max_weight_g", "cod_supported", "volumetric_divisor", "reverse_supported", "active")
_RATE = ("carrier", "first_slab_paise", "additional_slab_paise", "cod_fixed_paise", "cod_percent_bp",
         "rto_multiplier_pct", "reverse_multiplier_pct", "slab_g", "fuel_surcharge_bp")
_SERVICE = ("carrier", "pin_prefix", "forward", "reverse", "cod", "sla_days_a", "sla_days_b", "sla_days_c",
            "sla_days_d", "sla_days_e", "pickup")


def carrier_row(c: Carrier) -> dict:
    """The columns of a carrier's row (what the repository writes, and a network sync too)."""
    return {**{f: getattr(c, f) for f in _CARRIER}, "modes": sorted(c.modes)}


def _carrier(r) -> Carrier:
    return Carrier(**{f: getattr(r, f) for f in _CARRIER}, modes=frozenset(r.modes))


def rate_card_row(rc: RateCard) -> dict:
    """The columns of a rate card's row (what the repository writes, and a network sync too)."""
    return {**{f: getattr(rc, f) for f in _RATE}, "zone": Zone(rc.zone)}


def _rate(r) -> RateCard:
    return RateCard(**{f: getattr(r, f) for f in _RATE}, zone=Zone(r.zone))


def serviceability_row(s: Serviceability) -> dict:
    """The columns of a serviceability row (what the repository writes, and a network sync too)."""
    return {f: getattr(s, f) for f in _SERVICE}


def _service(r) -> Serviceability:
    return Serviceability(**{f: getattr(r, f) for f in _SERVICE})


class CarrierRepository(Repository):
    # -------------------------------------------------------------- carriers
    def get(self, code: str) -> Carrier | None:
        row = self.conn.execute(sa.select(carriers).where(carriers.c.code == code)).first()
        return None if row is None else _carrier(row)

    def list(self, *, active_only: bool = False) -> list[Carrier]:
        q = sa.select(carriers).order_by(carriers.c.code)
        if active_only:
            q = q.where(carriers.c.active.is_(True))
        return [_carrier(r) for r in self.conn.execute(q)]

    def page(self, after: str | None, limit: int, *, active: bool | None = None,
             mode: str | None = None) -> builtins.list[Carrier]:
        """Up to ``limit`` carriers after code ``after`` in code order, filtered (``mode`` matched in Python:
        a handful of carriers)."""
        query = sa.select(carriers).order_by(carriers.c.code)
        if after is not None:
            query = query.where(carriers.c.code > after)
        if active is not None:
            query = query.where(carriers.c.active.is_(active))
        found = [_carrier(r) for r in self.conn.execute(query)]
        return [c for c in found if mode is None or mode in c.modes][:limit]

    # Writes bump the revision token: every process's cached network reloads (services.network.cache).
    def add(self, carrier: Carrier, *, webhook_secret: str | None = None) -> None:
        self.conn.execute(carriers.insert().values(**carrier_row(carrier), webhook_secret=webhook_secret))
        bump_revision(self.conn)

    def update(self, carrier: Carrier) -> bool:
        """Updates the carrier's fields; the webhook secret is left as it is."""
        row = carrier_row(carrier)
        code = row.pop("code")
        return changed(self.conn, self.conn.execute(carriers.update().where(carriers.c.code == code)
                                                    .values(**row)).rowcount)

    def upsert(self, carrier: Carrier) -> None:
        if not self.update(carrier):
            self.add(carrier)

    def webhook_secret(self, code: str) -> str | None:
        return self.conn.execute(sa.select(carriers.c.webhook_secret).where(carriers.c.code == code)).scalar()

    def set_webhook_secret(self, code: str, secret: str | None) -> bool:
        q = carriers.update().where(carriers.c.code == code).values(webhook_secret=secret)
        return self.conn.execute(q).rowcount == 1

    # -------------------------------------------------------------- rate cards
    def rate_cards(self, carrier: str | None = None) -> builtins.list[RateCard]:
        q = sa.select(rate_cards).order_by(rate_cards.c.carrier, rate_cards.c.zone)
        if carrier is not None:
            q = q.where(rate_cards.c.carrier == carrier)
        return [_rate(r) for r in self.conn.execute(q)]

    def rate_card(self, carrier: str, zone: Zone | str) -> RateCard | None:
        q = sa.select(rate_cards).where(rate_cards.c.carrier == carrier, rate_cards.c.zone == Zone(zone))
        row = self.conn.execute(q).first()
        return None if row is None else _rate(row)

    def upsert_rate_card(self, rc: RateCard) -> None:
        row = rate_card_row(rc)
        key = (rate_cards.c.carrier == row["carrier"]) & (rate_cards.c.zone == row["zone"])
        values = {k: v for k, v in row.items() if k not in ("carrier", "zone")}
        if self.conn.execute(rate_cards.update().where(key).values(**values)).rowcount == 0:
            self.conn.execute(rate_cards.insert().values(**row))
        bump_revision(self.conn)

    # -------------------------------------------------------------- serviceability
    def serviceability(self, carrier: str | None = None) -> builtins.list[Serviceability]:
        q = sa.select(serviceability).order_by(serviceability.c.carrier, serviceability.c.pin_prefix)
        if carrier is not None:
            q = q.where(serviceability.c.carrier == carrier)
        return [_service(r) for r in self.conn.execute(q)]

    def serviceability_page(self, carrier: str, after: str | None, limit: int, *,
                            pin_prefix: str | None = None) -> builtins.list[Serviceability]:
        """Up to ``limit`` serviceability rows of ``carrier`` after prefix ``after`` in prefix order."""
        q = (sa.select(serviceability).where(serviceability.c.carrier == carrier)
             .order_by(serviceability.c.pin_prefix).limit(limit))
        if after is not None:
            q = q.where(serviceability.c.pin_prefix > after)
        if pin_prefix:
            q = q.where(serviceability.c.pin_prefix.startswith(pin_prefix, autoescape=True))
        return [_service(r) for r in self.conn.execute(q)]

    def replace_rate_cards(self, carrier: str, cards: builtins.list[RateCard]) -> None:
        """The carrier's whole rate card (one row per zone) becomes ``cards``."""
        self.conn.execute(rate_cards.delete().where(rate_cards.c.carrier == carrier))
        if cards:
            self.conn.execute(rate_cards.insert(), [rate_card_row(c) for c in cards])
        bump_revision(self.conn)

    def replace_serviceability(self, carrier: str, rows: builtins.list[Serviceability]) -> None:
        """The carrier's whole serviceability list becomes ``rows`` (a carrier publishes the full list)."""
        self.conn.execute(serviceability.delete().where(serviceability.c.carrier == carrier))
        if rows:
            self.conn.execute(serviceability.insert(), [serviceability_row(r) for r in rows])
        bump_revision(self.conn)

    def serviceability_prefixes(self, carrier: str) -> set[str]:
        """The PIN prefixes the carrier has a serviceability row for."""
        q = sa.select(serviceability.c.pin_prefix).where(serviceability.c.carrier == carrier)
        return set(self.conn.execute(q).scalars())

    def delete_serviceability(self, carrier: str, prefixes: Iterable[str]) -> int:
        """Remove these rows of the carrier's list (one statement run per prefix); how many went."""
        params = [{"c": carrier, "p": p} for p in prefixes]
        if not params:
            return 0
        q = serviceability.delete().where(serviceability.c.carrier == sa.bindparam("c"),
                                          serviceability.c.pin_prefix == sa.bindparam("p"))
        self.conn.execute(q, params)
        bump_revision(self.conn)
        return len(params)

    def serviceability_for_pin(self, pin: str) -> builtins.list[Serviceability]:
        """Every rule whose prefix matches ``pin`` (callers pick the longest per carrier)."""
        prefixes = [pin[:i] for i in range(1, len(pin) + 1)]
        q = (sa.select(serviceability).where(serviceability.c.pin_prefix.in_(prefixes))
             .order_by(serviceability.c.carrier, sa.func.length(serviceability.c.pin_prefix).desc()))
        return [_service(r) for r in self.conn.execute(q)]

    def upsert_serviceability(self, s: Serviceability) -> None:
        row = serviceability_row(s)
        key = (serviceability.c.carrier == s.carrier) & (serviceability.c.pin_prefix == s.pin_prefix)
        values = {k: v for k, v in row.items() if k not in ("carrier", "pin_prefix")}
        if self.conn.execute(serviceability.update().where(key).values(**values)).rowcount == 0:
            self.conn.execute(serviceability.insert().values(**row))
        bump_revision(self.conn)
