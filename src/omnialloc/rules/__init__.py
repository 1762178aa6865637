"""OMS rules that sellers write themselves: validation, routing, shipping and split rules.

Pure: no Flask, no SQLAlchemy. Conditions are rule-engine expressions over a
typed context (`facts`), checked when a rule is saved (`compile_rule`, raising
`InvalidRule` with positions and suggestions) and evaluated per order through a
fast closure path (`fast`). `RuleSet.validate` gives a capture-time verdict;
`RuleSet.route` gives the solver's constraints and bonuses, with priority-based
conflict resolution and a record of which rule decided what.
"""

from omnialloc.rules.actions import ACTIONS, Action, actions_for, describe
from omnialloc.rules.conditions import CompiledCondition, ConditionInvalid, compile_condition
from omnialloc.rules.engine import CompiledRule, RoutingOutcome, RuleSet, ValidationOutcome, compile_rule
from omnialloc.rules.errors import InvalidRule, RuleProblem
from omnialloc.rules.facts import Facts, OrderInput, build_facts, field_paths
from omnialloc.rules.model import Catalog, NodeInfo, RuleKind, RuleSpec

__all__ = [
    "ACTIONS", "Action", "Catalog", "CompiledCondition", "CompiledRule", "ConditionInvalid", "Facts", "InvalidRule",
    "NodeInfo", "OrderInput", "RoutingOutcome", "RuleKind", "RuleProblem", "RuleSet", "RuleSpec",
    "ValidationOutcome", "actions_for", "build_facts", "compile_condition", "compile_rule", "describe",
    "field_paths",
]
