"""Actions: each kind takes only its own actions, every code must exist, parameters are strict."""

import pytest

from omnialloc.rules import InvalidRule, RuleSpec, compile_rule

from .builders import CATALOG


def refused(kind, *actions, condition="true"):
    with pytest.raises(InvalidRule) as exc:
        compile_rule(RuleSpec(id=1, name="r", kind=kind, condition=condition, actions=list(actions)), CATALOG)
    return exc.value.problems


def test_unknown_node_code_is_refused_with_close_match():
    [p] = refused("routing", {"type": "only_nodes", "nodes": ["CHN-FC2"]})
    assert p.field == "actions.0.nodes.0"
    assert p.suggestion in ("CHN-FC1", "CHN-ST1")


def test_unknown_node_group_is_refused():
    [p] = refused("routing", {"type": "exclude_nodes", "groups": ["south-fc"]})
    assert p.suggestion == "south-fcs"


def test_unknown_node_kind_is_refused():
    [p] = refused("routing", {"type": "exclude_nodes", "kinds": ["stores"]})
    assert p.suggestion == "store"


def test_unknown_carrier_is_refused_case_blind_suggestion():
    [p] = refused("shipping", {"type": "force_carrier", "carrier": "bluedart"})
    assert p.field == "actions.0.carrier" and p.suggestion == "BLUEDART"


def test_action_of_another_kind_is_refused():
    [p] = refused("routing", {"type": "hold", "reason": "x"})
    assert "validation action" in p.message and "only_nodes" in p.message


def test_misspelled_action_type_suggests():
    [p] = refused("split", {"type": "no_spilt"})
    assert p.suggestion == "no_split"


def test_unknown_parameter_suggests():
    [p] = refused("validation", {"type": "set_priority", "priority": 5, "prio": 3})
    assert p.field == "actions.0.prio" and p.suggestion == "priority"


@pytest.mark.parametrize("value", [True, "5", 11, -1, 2.5])
def test_priority_must_be_whole_number_in_range(value):
    [p] = refused("validation", {"type": "set_priority", "priority": value})
    assert p.field == "actions.0.priority"


def test_selector_needs_something_to_select():
    [p] = refused("routing", {"type": "only_nodes"})
    assert "at least one of" in p.message


def test_no_actions_is_refused():
    [p] = refused("validation")
    assert p.field == "actions"


def test_all_problems_are_reported_at_once():
    problems = refused("routing", {"type": "only_nodes", "nodes": ["NOPE"]}, {"type": "max_distance", "km": 0},
                       condition="order.valeu > 1")
    assert {p.field for p in problems} == {"condition", "actions.0.nodes.0", "actions.1.km"}


def test_unknown_kind_suggests():
    with pytest.raises(InvalidRule) as exc:
        compile_rule(RuleSpec(id=1, name="r", kind="shiping", condition="true", actions=[]), CATALOG)
    assert exc.value.problems[0].suggestion == "shipping"


def test_invalid_rule_is_a_422_validation_error_with_field_errors():
    from omnialloc.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        compile_rule(RuleSpec(id=1, name="r", kind="routing", condition="order.valeu > 1",
                              actions=[{"type": "only_nodes", "nodes": ["CHN-FC1"]}]), CATALOG)
    [fe] = exc.value.field_errors
    assert fe.field == "condition" and "line 1, column 7" in fe.message and "order.value" in fe.message


def test_keep_together_checks_skus_and_categories():
    problems = refused("split", {"type": "keep_together", "skus": ["PHONE-Y"], "categories": ["electronic"]})
    assert [p.suggestion for p in problems] == ["PHONE-X", "electronics"]
