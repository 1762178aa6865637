"""Managing rules (admin only): create, read, update, delete, versions, enable/disable, reorder, dry-run.

Every change is checked completely before anything is written (a rule that
does not compile, names an unknown field, node, node group or carrier, or uses
an action of another kind is refused with 422 and nothing is stored), writes a
``rule_versions`` row with the rule as it now is, and changes the rules
revision token so every process reloads its compiled rules on its next call.

The dry-run evaluates the stored rules (plus any candidate rules passed in) for
an order payload or a stored order, and solves the plan that would be chosen,
in a read-only transaction: nothing is reserved, stored or sent.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from omnialloc.domain import DeliveryMode, Order, OrderStatus
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.rules import Rule
from omnialloc.rules import (
    Catalog, InvalidRule, RuleProblem, RuleSet, RuleSpec, compile_rule, describe, field_paths)
from omnialloc.rules.model import ALLOCATION_KINDS
from omnialloc.services.rules import runtime
from omnialloc.services.access import Principal
from omnialloc.services.events import now
from omnialloc.services.orders import lifecycle
from omnialloc.services.network.cache import network
from omnialloc.services.allocation.allocator import plan_units
from dataclasses import asdict

EDITABLE = ("name", "kind", "condition", "actions", "priority", "enabled", "stop_processing", "description")


MAX_ID = 2**63 - 1


def _admin(principal: Principal) -> None:
    principal.require(Role.ADMIN)


def _known_id(rule_id: int) -> int:
    if not 1 <= rule_id <= MAX_ID:  # no such row can exist; never hand the database an out-of-range id
        raise NotFound(f"rule {rule_id} not found")
    return rule_id


def rule_dict(rule: Rule) -> dict:
    out = {k: getattr(rule, k) for k in ("id", "name", "kind", "condition", "actions", "priority", "enabled",
                                         "stop_processing", "description", "version", "created_by", "updated_by")}
    for k in ("created_at", "updated_at", "deleted_at"):
        value = getattr(rule, k)
        out[k] = value.isoformat() if value is not None else None
    return out


def _catalog(uow, actions) -> Catalog:
    """Codes a rule may name, read fresh (not the planning cache): a node added a second ago is usable."""
    skus = None
    wanted = {s for a in actions or [] if isinstance(a, dict) for s in (a.get("skus") or []) if isinstance(s, str)}
    wants_categories = any(isinstance(a, dict) and a.get("categories") for a in actions or [])
    if wanted or wants_categories:
        skus = uow.skus.list() if wants_categories else list(uow.skus.get_many(sorted(wanted)).values())
    cat = runtime.catalog_of(uow.nodes.list(), uow.carriers.list(), skus)
    if skus is not None and not wants_categories:
        cat.categories = None  # only the named SKUs were read: do not judge categories from them
    return cat


def _check(uow, spec: RuleSpec):
    compiled = compile_rule(spec, _catalog(uow, spec.actions))
    return compiled


def _snapshot(rule: Rule) -> dict:
    return rule_dict(rule)


# ------------------------------------------------------------------ reads
def list_rules(ctx, principal: Principal, kind: str | None = None) -> dict:
    _admin(principal)
    with ctx.uow(readonly=True) as uow:
        r = runtime.repo(uow)
        rows = r.list(kind=kind)
        token = r.revision()
    return {"items": [rule_dict(x) for x in rows], "revision": token}


def get_rule(ctx, principal: Principal, rule_id: int) -> dict:
    _admin(principal)
    _known_id(rule_id)
    with ctx.uow(readonly=True) as uow:
        row = runtime.repo(uow).get(rule_id)
    if row is None:
        raise NotFound(f"rule {rule_id} not found")
    return rule_dict(row)


def versions(ctx, principal: Principal, rule_id: int) -> dict:
    _admin(principal)
    _known_id(rule_id)
    with ctx.uow(readonly=True) as uow:
        r = runtime.repo(uow)
        row = r.get(rule_id, include_deleted=True)
        if row is None:
            raise NotFound(f"rule {rule_id} not found")
        items = [{"version": v.version, "change": v.change, "snapshot": v.snapshot, "changed_by": v.changed_by,
                  "changed_at": v.changed_at.isoformat()} for v in r.versions(rule_id)]
    return {"rule_id": rule_id, "deleted": row.deleted_at is not None, "items": items}


def schema() -> dict:
    """What a rule may say: fields of the condition language and actions per kind."""
    return {
        "fields": field_paths(),
        "actions": describe(),
        "kinds": ["validation", "routing", "shipping", "split"],
        "conflicts": "rules run by priority (lowest number first, then id); the first rule to decide a thing "
                     "keeps it, later rules that disagree are recorded as overridden",
        "examples": [
            'order.payment_mode == "COD" and order.value > 500000',
            'ship_to.state in ["TN", "KL", "KA", "AP", "TS"]',
            'ship_to.pin =~ "^78"',
            "any(line.qty > 5 for line in lines)",
        ],
    }


def node_groups(ctx, principal: Principal) -> dict:
    _admin(principal)
    with ctx.uow(readonly=True) as uow:
        cat = runtime.catalog_of(uow.nodes.list(), uow.carriers.list())
    return {"groups": cat.groups, "kinds": sorted(cat.kinds), "nodes": sorted(cat.nodes),
            "carriers": sorted(cat.carriers)}


def check_rule(ctx, principal: Principal, body: dict) -> dict:
    """Compile a rule without storing it (the console's live validation): its problems with positions, or none."""
    _admin(principal)
    actions = body.get("actions")
    if not isinstance(actions, list):
        return {"valid": False, "problems": [{"field": "actions", "message": "actions must be a JSON list of "
                                              "objects such as [{\"type\": \"only_nodes\", \"nodes\": [\"CHN-FC1\"]}]",
                                              "offset": None, "line": None, "column": None, "suggestion": None,
                                              "hint": None}]}
    spec = RuleSpec(id=None, name=str(body.get("name") or "unsaved rule"), kind=str(body.get("kind") or ""),
                    condition=str(body.get("condition") or ""), actions=actions,
                    priority=100, enabled=True, stop_processing=False, description="")
    with ctx.uow(readonly=True) as uow:
        try:
            _check(uow, spec)
        except InvalidRule as exc:
            return {"valid": False, "problems": [p.to_dict() for p in exc.problems]}
    return {"valid": True, "problems": []}


# ------------------------------------------------------------------ writes
def create_rule(ctx, principal: Principal, body: dict) -> dict:
    _admin(principal)
    spec = RuleSpec(id=None, name=body["name"], kind=body["kind"], condition=body["condition"],
                    actions=list(body["actions"]), priority=body.get("priority", 100),
                    enabled=body.get("enabled", True), stop_processing=body.get("stop_processing", False),
                    description=body.get("description") or "")
    with ctx.uow() as uow:
        compiled = _check(uow, spec)
        r = runtime.repo(uow)
        if r.count() >= ctx.settings.max_rules:
            raise ValidationFailed(f"there are already {ctx.settings.max_rules} rules (OMNIALLOC_MAX_RULES); "
                                   "delete or merge some first")
        _name_free(r, compiled.name)
        at = now()
        values = dict(name=compiled.name, kind=str(compiled.kind), condition=spec.condition,
                      actions=[a.to_dict() for a in compiled.actions], priority=spec.priority,
                      enabled=spec.enabled, stop_processing=spec.stop_processing, description=spec.description,
                      version=1, created_by=principal.actor, updated_by=principal.actor, created_at=at,
                      updated_at=at)
        rule_id = r.add(values)
        row = r.get(rule_id)
        r.add_version(rule_id, 1, "created", _snapshot(row), principal.actor, at)
        r.bump_revision()
        uow.commit()
    return rule_dict(row)


def update_rule(ctx, principal: Principal, rule_id: int, body: dict) -> dict:
    """Change some fields (``body`` holds only what changes; ``version`` guards against lost updates)."""
    _admin(principal)
    _known_id(rule_id)
    with ctx.uow() as uow:
        r = runtime.repo(uow)
        row = _get_for_change(r, rule_id, body.get("version"))
        merged = replace(row, **{k: body[k] for k in EDITABLE if k in body and body[k] is not None})
        if "description" in body and body["description"] is None:
            merged = replace(merged, description="")
        spec = runtime.spec_of(merged)
        compiled = _check(uow, spec)
        if compiled.name.lower() != row.name.lower():
            _name_free(r, compiled.name, exclude_id=rule_id)
        merged = replace(merged, name=compiled.name, actions=[a.to_dict() for a in compiled.actions])
        if all(getattr(merged, k) == getattr(row, k) for k in EDITABLE):
            return rule_dict(row)  # nothing changed: no new version
        row = _write(r, row, merged, "updated", principal)
        uow.commit()
    return rule_dict(row)


def set_enabled(ctx, principal: Principal, rule_id: int, enabled: bool) -> dict:
    _admin(principal)
    _known_id(rule_id)
    with ctx.uow() as uow:
        r = runtime.repo(uow)
        row = _get_for_change(r, rule_id, None)
        if row.enabled != enabled:
            row = _write(r, row, replace(row, enabled=enabled), "enabled" if enabled else "disabled", principal)
            uow.commit()
    return rule_dict(row)


def delete_rule(ctx, principal: Principal, rule_id: int) -> None:
    _admin(principal)
    _known_id(rule_id)
    with ctx.uow() as uow:
        r = runtime.repo(uow)
        row = _get_for_change(r, rule_id, None)
        at = now()
        if not r.update(rule_id, {"deleted_at": at, "updated_at": at, "updated_by": principal.actor},
                        expected_version=row.version):
            raise Conflict(f"rule {rule_id} changed meanwhile; retry")
        deleted = r.get(rule_id, include_deleted=True)
        r.add_version(rule_id, deleted.version, "deleted", _snapshot(deleted), principal.actor, at)
        r.bump_revision()
        uow.commit()


def reorder(ctx, principal: Principal, rule_ids: list[int], start: int = 10, step: int = 10) -> dict:
    """Give the listed rules priorities start, start+step, ... in that order (the others keep theirs)."""
    _admin(principal)
    if len(set(rule_ids)) != len(rule_ids):
        dupes = sorted({i for i in rule_ids if rule_ids.count(i) > 1})
        raise ValidationFailed(f"rule ids listed twice: {dupes}", field_errors=[
            FieldError("rule_ids", f"rule {i} appears more than once") for i in dupes])
    with ctx.uow() as uow:
        r = runtime.repo(uow)
        rows = {i: r.get(i, for_update=True) if 1 <= i <= MAX_ID else None for i in rule_ids}
        found: dict[int, Rule] = {i: row for i, row in rows.items() if row is not None}
        missing = [i for i in rows if i not in found]
        if missing:
            raise ValidationFailed(f"unknown rule ids: {missing}", field_errors=[
                FieldError(f"rule_ids.{rule_ids.index(i)}", f"rule {i} not found") for i in missing])
        for n, i in enumerate(rule_ids):
            priority = start + n * step
            if found[i].priority != priority:
                _write(r, found[i], replace(found[i], priority=priority), "reordered", principal, bump=False)
        r.bump_revision()
        items = r.list()
        uow.commit()
    return {"items": [rule_dict(x) for x in items]}


def _get_for_change(r, rule_id: int, expected_version: int | None) -> Rule:
    row = r.get(rule_id, for_update=True)
    if row is None:
        raise NotFound(f"rule {rule_id} not found")
    if expected_version is not None and expected_version != row.version:
        raise Conflict(f"rule {rule_id} is at version {row.version}, not {expected_version}: someone changed "
                       "it meanwhile; reload and apply your change again")
    return row


def _write(r, row: Rule, merged: Rule, change: str, principal: Principal, *, bump: bool = True) -> Rule:
    at = now()
    values = {k: getattr(merged, k) for k in EDITABLE}
    values.update(updated_by=principal.actor, updated_at=at)
    if not r.update(row.id, values, expected_version=row.version):
        raise Conflict(f"rule {row.id} changed meanwhile; retry")
    fresh = r.get(row.id)
    r.add_version(row.id, fresh.version, change, _snapshot(fresh), principal.actor, at)
    if bump:
        r.bump_revision()
    return fresh


def _name_free(r, name: str, exclude_id: int | None = None) -> None:
    if r.name_taken(name, exclude_id=exclude_id):
        raise Conflict(f"a rule named {name!r} already exists; choose another name or edit that rule")


# ------------------------------------------------------------------ dry-run
def dry_run(ctx, principal: Principal, body: dict) -> dict:
    """Which rules fire for this order, the constraints they make, and the plan that would be chosen.

    ``body``: ``order`` (a capture payload) or ``order_id``; optional ``rules`` (unsaved candidate
    rules, evaluated as if stored), ``only_candidates`` (ignore the stored rules), ``compare`` (also
    solve without any rule, to show what the rules change). Nothing is written.
    """
    _admin(principal)
    with ctx.uow(readonly=True) as uow:
        stored, broken = runtime.current(uow)
        candidates = []
        for i, raw in enumerate(body.get("rules") or []):
            spec = RuleSpec(id=-(i + 1), name=raw["name"], kind=raw["kind"], condition=raw["condition"],
                            actions=list(raw["actions"]), priority=raw.get("priority", 100),
                            enabled=raw.get("enabled", True), stop_processing=raw.get("stop_processing", False))
            try:
                candidates.append(_check(uow, spec))
            except InvalidRule as exc:
                raise InvalidRule([replace(p, field=f"rules.{i}.{p.field}") for p in exc.problems], spec.name) from None
        pool = [] if body.get("only_candidates") else [r for kind in stored.by_kind.values() for r in kind]
        rules = RuleSet(pool + candidates)

        if body.get("order_id"):
            order = uow.orders.get(body["order_id"])
            if order is None:
                raise NotFound(f"order {body['order_id']} not found")
            shipments = uow.shipments.for_order(order.id)
            stored_order = True
        elif body.get("order"):
            try:
                order = lifecycle.new_order(uow, ctx, body["order"])
            except ValidationFailed as exc:
                raise ValidationFailed(exc.detail, field_errors=[
                    FieldError(f"order.{fe.field}", fe.message) for fe in exc.field_errors]) from None
            shipments, stored_order = [], False
        else:
            raise ValidationFailed("give an order payload or an order_id", field_errors=[
                FieldError("order", "required unless order_id is given")])

        net = network(uow)
        facts = runtime.facts_for(uow, order, net)
        validation = rules.validate(facts)
        preview = copy.deepcopy(order)
        if validation.priority is not None:
            preview.priority = validation.priority
        preview.tags = list(preview.tags) + [t for t in validation.tags if t not in preview.tags]
        if validation.priority is not None or validation.tags:
            facts = runtime.facts_for(uow, preview, net)  # routing rules see what validation set
        catalog = runtime.network_catalog(net)
        routed = rules.route(facts, catalog)
        remaining = {line.line_no: line.open_qty for line in order.lines if line.open_qty > 0}
        routing = None
        if any(rules.by_kind[k] for k in ALLOCATION_KINDS) and not routed.empty:
            if order.delivery_mode == DeliveryMode.PICKUP:  # only protected stock applies, as at allocation
                routing = runtime.pickup_routing(uow, routed, order.pickup_node)
            else:
                routing = runtime.to_routing(routed, order, remaining,
                                             held_back=runtime.held_back(uow, routed.protected))
        plan = _plan(uow, ctx, preview, remaining, routing, shipments, stored_order) if remaining else None
        unconstrained = None
        if body.get("compare", True) and remaining:
            unconstrained = _plan(uow, ctx, preview, remaining, None, shipments, stored_order)
    return {
        "order": {"id": order.id if stored_order else None, "status": str(order.status) if stored_order else None,
                  "facts": _facts_dict(facts)},
        "rules_evaluated": rules.size,
        "validation": validation.to_dict(),
        "would_allocate": validation.status == str(OrderStatus.VALIDATED),
        "routing": routed.to_dict(),
        "plan": plan,
        "unconstrained_plan": unconstrained,
        "broken_rules": broken,
    }


def _plan(uow, ctx, order: Order, remaining: dict[int, int], routing, shipments, stored_order: bool) -> dict:
    """Solve as allocation would, against current stock, without reserving."""
    return plan_units(uow, ctx, order, remaining, routing, own_reservations=shipments, stored=stored_order)[1]


def _facts_dict(facts) -> dict:
    d = asdict(facts)
    d["order"]["tags"] = list(d["order"]["tags"])
    d["lines"] = list(d["lines"])
    return d


__all__ = ["check_rule", "create_rule", "delete_rule", "dry_run", "get_rule", "list_rules", "node_groups", "reorder", "schema",
           "set_enabled", "update_rule", "versions", "RuleProblem"]
