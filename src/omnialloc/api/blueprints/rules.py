"""OMS rules (admin only): CRUD, versions, enable/disable, reorder, dry-run, and the rule language's schema."""

from __future__ import annotations

from functools import wraps

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.errors import Forbidden
from omnialloc.api.schemas.common import Open
from omnialloc.api.schemas.rules import DryRunIn, ReorderIn, RuleIn, RuleOut, RulePage, RulePatch, RuleQuery
from omnialloc.domain.enums import Role
from omnialloc.services.rules import admin as rules_admin
from omnialloc.services.access import AccessDenied

bp = APIBlueprint("rules", __name__, tag="Rules")

_ERRORS = [401, 403, 404, 409, 413, 422]


def _admin_only(view):
    """Role checks live in the service; make a role refusal a 403 whatever the global error mapping does."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except AccessDenied as exc:
            raise Forbidden(exc.detail) from None
    return wrapper


@bp.get("/rules")
@bp.auth_required(auth)
@bp.input(RuleQuery, location="query", arg_name="query")
@bp.output(RulePage)
@bp.doc(summary="All rules in evaluation order (priority, then id)", responses=_ERRORS)
@_admin_only
def list_rules(query: RuleQuery):
    return rules_admin.list_rules(ctx(), current(), query.kind)


@bp.post("/rules")
@bp.auth_required(auth)
@bp.input(RuleIn, location="json", arg_name="body")
@bp.output(RuleOut, status_code=201)
@bp.doc(summary="Create a rule (checked completely first: 422 with position and suggestion if not valid)",
        responses=_ERRORS)
@_admin_only
def create_rule(body: RuleIn):
    return rules_admin.create_rule(ctx(), current(), body.model_dump())


@bp.get("/rules/schema")
@bp.auth_required(auth)
@bp.output(Open)
@bp.doc(summary="The rule language: condition fields, actions per kind, conflict resolution", responses=_ERRORS)
@_admin_only
def rule_schema():
    current().require(Role.ADMIN)
    return rules_admin.schema()


@bp.get("/rules/node-groups")
@bp.auth_required(auth)
@bp.output(Open)
@bp.doc(summary="Node groups, node kinds, node and carrier codes that rules may name", responses=_ERRORS)
@_admin_only
def node_groups():
    return rules_admin.node_groups(ctx(), current())


@bp.post("/rules/dry-run")
@bp.auth_required(auth)
@bp.input(DryRunIn, location="json", arg_name="body")
@bp.output(Open)
@bp.doc(summary="Which rules fire for an order, the constraints they make and the plan that would be chosen; "
                "changes nothing", responses=_ERRORS)
@_admin_only
def dry_run(body: DryRunIn):
    return rules_admin.dry_run(ctx(), current(), body.model_dump())


@bp.post("/rules/reorder")
@bp.auth_required(auth)
@bp.input(ReorderIn, location="json", arg_name="body")
@bp.output(RulePage)
@bp.doc(summary="Give the listed rules priorities start, start+step, ... in this order", responses=_ERRORS)
@_admin_only
def reorder(body: ReorderIn):
    return rules_admin.reorder(ctx(), current(), body.rule_ids, body.start, body.step)


@bp.get("/rules/<int:rule_id>")
@bp.auth_required(auth)
@bp.output(RuleOut)
@bp.doc(summary="One rule", responses=_ERRORS)
@_admin_only
def get_rule(rule_id: int):
    return rules_admin.get_rule(ctx(), current(), rule_id)


@bp.patch("/rules/<int:rule_id>")
@bp.auth_required(auth)
@bp.input(RulePatch, location="json", arg_name="body")
@bp.output(RuleOut)
@bp.doc(summary="Change some fields of a rule (a new version)", responses=_ERRORS)
@_admin_only
def update_rule(rule_id: int, body: RulePatch):
    return rules_admin.update_rule(ctx(), current(), rule_id, body.model_dump(exclude_unset=True))


@bp.delete("/rules/<int:rule_id>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete a rule (its versions stay readable)", responses=_ERRORS)
@_admin_only
def delete_rule(rule_id: int):
    rules_admin.delete_rule(ctx(), current(), rule_id)
    return ""


@bp.get("/rules/<int:rule_id>/versions")
@bp.auth_required(auth)
@bp.output(Open)
@bp.doc(summary="Every version of a rule: what changed, who, when, and the rule as it was", responses=_ERRORS)
@_admin_only
def rule_versions(rule_id: int):
    return rules_admin.versions(ctx(), current(), rule_id)


@bp.post("/rules/<int:rule_id>/enable")
@bp.auth_required(auth)
@bp.output(RuleOut)
@bp.doc(summary="Enable a rule", responses=_ERRORS)
@_admin_only
def enable_rule(rule_id: int):
    return rules_admin.set_enabled(ctx(), current(), rule_id, True)


@bp.post("/rules/<int:rule_id>/disable")
@bp.auth_required(auth)
@bp.output(RuleOut)
@bp.doc(summary="Disable a rule (kept, not evaluated)", responses=_ERRORS)
@_admin_only
def disable_rule(rule_id: int):
    return rules_admin.set_enabled(ctx(), current(), rule_id, False)

