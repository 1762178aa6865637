"""Moved to ``omnialloc.store.tables.rules``; this alias goes once no import names it."""

from omnialloc.store.tables.rules import RULE_KINDS, rule_versions, rules, rules_revision  # noqa: F401
