"""Rules: OMS rules (create, patch, reorder), dry runs of rules against an order, and the rule views."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from omnialloc.api.schemas.common import Open, Strict, WholeNumber
from omnialloc.api.schemas.orders import OrderIn
from omnialloc.domain.quantities import QTY_MAX

Kind = Literal["validation", "routing", "shipping", "split"]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Condition = Annotated[str, Field(min_length=1, max_length=4000, description=(
    'A rule-engine expression over order, ship_to, lines and customer, e.g. '
    '`order.payment_mode == "COD" and order.value > 500000` (GET /rules/schema lists the fields)'))]
Actions = Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20, description=(
    'Action objects such as {"type": "only_nodes", "groups": ["south-fcs"]}; GET /rules/schema lists them per kind'))]
Description = Annotated[str, Field(max_length=1000)]


class RuleIn(Strict):
    name: Name
    kind: Kind
    condition: Condition
    actions: Actions
    priority: Annotated[
        int, Field(ge=0, le=1_000_000, description="Lower runs first and wins conflicts"), WholeNumber
    ] = 100
    enabled: bool = True
    stop_processing: bool = Field(False, description="When this rule fires, skip later rules of the same kind")
    description: Description = ""


class RulePatch(Strict):
    name: Name | None = None
    kind: Kind | None = None
    condition: Condition | None = None
    actions: Actions | None = None
    priority: Annotated[int | None, Field(ge=0, le=1_000_000), WholeNumber] = None
    enabled: bool | None = None
    stop_processing: bool | None = None
    description: Description | None = None
    version: Annotated[
        int | None, Field(ge=1, le=QTY_MAX, description="The version you edited; 409 if the rule moved on"), WholeNumber
    ] = None


class ReorderIn(Strict):
    rule_ids: Annotated[list[Annotated[int, Field(ge=1, le=QTY_MAX), WholeNumber]], Field(min_length=1, max_length=500)]
    start: Annotated[int, Field(ge=0, le=1_000_000), WholeNumber] = 10
    step: Annotated[int, Field(ge=1, le=10_000), WholeNumber] = 10


class DryRunIn(Strict):
    order: OrderIn | None = Field(None, description="A capture payload (not stored)")
    order_id: Annotated[str | None, Field(max_length=40, description="Or a stored order")] = None
    rules: Annotated[list[RuleIn], Field(max_length=50, description="Unsaved rules to try alongside")] = []
    only_candidates: bool = Field(False, description="Ignore the stored rules; evaluate only `rules`")
    compare: bool = Field(True, description="Also solve without any rule (unconstrained_plan)")


class RuleQuery(Strict):
    kind: Kind | None = None

    model_config = ConfigDict(strict=False, extra="forbid")


class RuleOut(Open):
    id: int
    name: str
    kind: str
    version: int


class RulePage(Open):
    items: list[dict]
