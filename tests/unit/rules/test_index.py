"""The rule index skips only rules that cannot match: results are those of evaluating every rule in order."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from omnialloc.rules import RuleSet
from omnialloc.rules.index import guard_of, pair_guard_of, threshold_of
from omnialloc.rules.model import RuleKind

from .builders import CATALOG, facts, rule

GUARDED = [
    ('order.channel == "amazon"', ("order.channel", {"amazon"})),
    ('"pos" == order.channel and order.value > 1000', ("order.channel", {"pos"})),
    ('ship_to.state in ["TN", "KL"] and order.payment_mode == "COD"', ("ship_to.state", {"TN", "KL"})),
    ('ship_to.state == "TN" or ship_to.state == "KA"', ("ship_to.state", {"TN", "KA"})),
    ('any(line.sku == "PHONE-X" and line.qty > 1 for line in lines)', ("lines.sku", {"PHONE-X"})),
    ('$any([line.qty > 1 for line in lines if line.category in ["electronics", "footwear"]])',
     ("lines.category", {"electronics", "footwear"})),
    ('ship_to.region == "south" and (order.promised_days ?? 99) <= 2', ("ship_to.region", {"south"})),
    ('ship_to.pin =~ "^78" and order.payment_mode == "COD"', ("ship_to.pin^", {"78"})),
    ('order.channel == "pos" and ship_to.state in ["TN", "KA"]', ("ship_to.state", {"TN", "KA"})),  # and a pair
]
THRESHOLDS = [
    ("order.value > 100000", ("order.value", ">", 100000)),
    ("order.value >= 49900 and not customer.is_repeat", ("order.value", ">=", 49900)),
    ("100000 < order.value", ("order.value", ">", 100000)),
    ("order.line_count < 2", ("order.line_count", "<", 2)),
    ("order.total_weight_g <= 250 or false", None),  # an or: no threshold the whole condition needs
    ("order.total_weight_g <= 250", ("order.total_weight_g", "<=", 250)),
]
UNGUARDED = [
    'order.channel == "web" or order.value > 5',      # an or over different facts guards nothing
    'not (order.channel == "web")',
    '$all([line.sku == "SHOE-9" for line in lines])',  # true on... every line: no single value required
    '"vip" in order.tags',
    "true",
]


def test_guards_are_found_on_the_conjuncts_that_require_a_value():
    for text, (path, values) in GUARDED:
        assert guard_of(rule("validation", text, {"type": "add_tag", "tag": "x"}).condition.rule.statement.expression) \
            == (path, frozenset(values)), text
    for text in UNGUARDED:
        r = rule("validation", text, {"type": "add_tag", "tag": "x"})
        assert guard_of(r.condition.rule.statement.expression) is None, text
        assert threshold_of(r.condition.rule.statement.expression) is None, text


def test_thresholds_are_found_on_numbers_of_the_order():
    for text, expected in THRESHOLDS:
        r = rule("validation", text, {"type": "add_tag", "tag": "x"})
        assert threshold_of(r.condition.rule.statement.expression) == expected, text


CONDITIONS = [t for t, _ in GUARDED] + [t for t, _ in THRESHOLDS] + UNGUARDED
ACTIONS = [{"type": "add_tag", "tag": "a"}, {"type": "set_priority", "priority": 5}, {"type": "hold", "reason": "r"},
           {"type": "set_priority", "priority": 9}]

rule_sets = st.lists(st.tuples(st.sampled_from(CONDITIONS), st.sampled_from(ACTIONS), st.integers(0, 50),
                               st.booleans()), min_size=1, max_size=25)
orders = st.builds(
    lambda channel, payment, state, region, pin, lines, promised: facts(
        channel=channel, payment_mode=payment, state=state, region=region, pin=pin, lines=lines, promised_days=promised,
        created_at=datetime(2024, 3, 4, 6, 0, tzinfo=UTC)),
    st.sampled_from(["web", "pos", "amazon"]), st.sampled_from(["COD", "PREPAID"]),
    st.sampled_from(["TN", "KL", "KA", "MH"]), st.sampled_from(["south", "west"]), st.sampled_from(["781001", "600001"]),
    st.lists(st.tuples(st.sampled_from(["TSHIRT-M", "SHOE-9", "PHONE-X", "CASE-X"]), st.integers(1, 3),
                       st.sampled_from([0, 49_900, 50_000, 100_000, 200_000])), min_size=1, max_size=3),
    st.none() | st.integers(1, 5))


def _reference(rules, f) -> list[str]:
    """Every enabled rule, in priority order, stopping where a firing rule says so."""
    out = []
    for r in sorted(rules, key=lambda r: r.sort_key):
        if r.condition.matches(f):
            out.append(r.name)
            if r.stop_processing:
                break
    return out


@settings(max_examples=150, deadline=None)
@given(rule_sets, st.lists(orders, min_size=1, max_size=5))
def test_indexed_evaluation_fires_exactly_the_rules_a_full_scan_fires(specs, fs):
    rules = [rule("validation", c, a, priority=p, stop=stop) for c, a, p, stop in specs]
    rs = RuleSet(rules)
    indexed = {t for t, _ in GUARDED} | {t for t, th in THRESHOLDS if th is not None}
    assert rs.index[RuleKind.VALIDATION].indexed == sum(c in indexed for c, *_ in specs)
    for f in fs:
        out = rs.validate(f)
        assert [x["name"] for x in out.fired] == _reference(rules, f)


def test_a_routing_rule_for_another_channel_is_not_even_evaluated():
    calls = []
    r = rule("routing", 'order.channel == "amazon"', {"type": "exclude_nodes", "nodes": ["MUM-FC1"]})
    seen = r.condition.matches
    object.__setattr__(r.condition, "matches", lambda f: calls.append(f) or seen(f))
    rs = RuleSet([r])
    assert rs.route(facts(channel="web"), CATALOG).forbidden_nodes == {} and calls == []
    assert "MUM-FC1" in rs.route(facts(channel="amazon"), CATALOG).forbidden_nodes and len(calls) == 1


def test_literal_prefixes_of_pin_patterns():
    from omnialloc.rules.index import literal_prefixes

    assert literal_prefixes("^78") == {"78"}
    assert literal_prefixes("78") == {"78"}
    assert literal_prefixes("^(11|12|20)") == {"11", "12", "20"}
    assert literal_prefixes("^5600?1") == {"560"}
    for pattern in ["^[0-9]", "78|56", "^(11|12)?3", "\\d+", "(?i)ab", "^(1|2)|3", ".*"]:
        assert literal_prefixes(pattern) is None, pattern


def test_pin_prefix_rules_are_candidates_only_for_their_pins():
    r = rule("validation", 'ship_to.pin =~ "^(78|79)" and order.payment_mode == "COD"', {"type": "add_tag", "tag": "x"})
    rs = RuleSet([r])
    assert rs.candidates(RuleKind.VALIDATION, facts(pin="781001")) == [r]
    assert rs.candidates(RuleKind.VALIDATION, facts(pin="600001")) == []


def test_threshold_boundaries_are_exact():
    f = facts(lines=(("TSHIRT-M", 1, 49_900),))  # value 49900 paise, weight 250 g, one line
    rules = [rule("validation", text, {"type": "add_tag", "tag": "x"}, priority=i)
             for i, text in enumerate(["order.value >= 49900", "order.value > 49900", "49900 <= order.value",
                                       "order.total_weight_g <= 250", "order.total_weight_g < 250",
                                       "250 > order.total_weight_g", "order.line_count < 2", "order.line_count > 1"])]
    rs = RuleSet(rules)
    assert [r.name for r in rs.candidates(RuleKind.VALIDATION, f)] == _reference(rules, f) == [
        rules[i].name for i in (0, 2, 3, 6)]


def test_a_rule_on_two_fields_of_one_value_is_a_candidate_only_for_orders_with_both():
    r = rule("validation", 'order.channel == "web" and ship_to.zone in ["A", "B"] and order.value > 5',
             {"type": "add_tag", "tag": "x"})
    expression = r.condition.rule.statement.expression
    assert pair_guard_of(expression) == (("order.channel", frozenset({"web"})), ("ship_to.zone", frozenset({"A", "B"})))
    rs = RuleSet([r])
    assert rs.candidates(RuleKind.VALIDATION, facts(channel="web", zone="B")) == [r]
    assert rs.candidates(RuleKind.VALIDATION, facts(channel="web", zone="C")) == []
    assert rs.candidates(RuleKind.VALIDATION, facts(channel="pos", zone="A")) == []
    # one such field, or a pair no more selective than a guard on the lines: no pair
    for text in ['order.channel == "web" and order.value > 5', 'order.channel == "web" and order.channel != "pos"',
                 '$any([line.sku == "SHOE-9" for line in lines]) and order.channel == "web" and ship_to.zone == "A"']:
        r = rule("validation", text, {"type": "add_tag", "tag": "x"})
        assert pair_guard_of(r.condition.rule.statement.expression) is None, text
