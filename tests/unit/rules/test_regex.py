"""Rule regexes run on RE2 in linear time, on every path; what RE2 cannot run is refused when saved.

With Python's backtracking ``re`` the patterns below take seconds on a 29-character tag and double per
character. Speed is measured in benchmarks/rules_bench.py; here the tests prove, deterministically, that
RE2 is the engine (never rule-engine's interpreter) and that the answers are right.
"""

import pytest

from omnialloc.rules import ConditionInvalid, RuleSet, compile_condition
from omnialloc.rules.regex import MAX_INPUT_CHARS, compile_pattern

from .builders import facts, rule

MAX_TAG = 50  # the capture schema's longest tag

# (pattern, input of the maximum field length, whether =~ matches it)
REDOS = [
    ("(a+)+$", "a" * (MAX_TAG - 1) + "!", False),
    ("(a+)+$", "a" * MAX_TAG, True),
    ("(a|aa)+$", "a" * (MAX_TAG - 1) + "!", False),
    ("(a|aa)+$", "a" * MAX_TAG, True),
    ("([a-z]+)*!", "a" * (MAX_TAG - 1) + "!", True),
    ("([a-z]+)*!", "a" * (MAX_TAG - 1) + "1", False),
    ("(.*a){20}", "a" * MAX_TAG, True),
    ("(.*a){20}", "a" * 19 + "b" * (MAX_TAG - 19), False),
]


def _no_interpreter(condition):
    """Make rule-engine's interpreter (Python's re) unusable for this condition: any use fails the test."""
    def boom(*_a, **_k):
        raise AssertionError("rule-engine's interpreter was used")
    condition.rule.matches = boom
    condition.rule.evaluate = boom
    return condition


@pytest.mark.parametrize("pattern,value,expected", REDOS)
def test_backtracking_patterns_give_the_right_answer_on_re2(pattern, value, expected):
    assert compile_pattern(pattern, anchored=True).engine == "re2"
    c = _no_interpreter(compile_condition(f'$any([t =~ "{pattern}" for t in order.tags])'))
    assert c.fast
    assert c.matches(facts(tags=(value,))) is expected


@pytest.mark.parametrize("pattern,value,expected", REDOS)
def test_backtracking_patterns_on_every_text_field_and_operator(pattern, value, expected):
    # =~ on a field, !~ its negation, =~~ searches anywhere
    assert _no_interpreter(compile_condition(f'order.channel =~ "{pattern}"')).matches(facts(channel=value)) is expected
    assert _no_interpreter(compile_condition(f'order.channel !~ "{pattern}"')).matches(facts(channel=value)) \
        is (not expected)
    found = compile_condition(f'ship_to.city =~~ "{pattern}"')
    assert _no_interpreter(found).matches(facts(city="x" + value)) is expected


def test_issue_repro_validation_rule_with_the_28_a_tag_evaluates_on_re2():
    r = rule("validation", '$any([t =~ "(a+)+$" for t in order.tags])', {"type": "add_tag", "tag": "odd"})
    _no_interpreter(r.condition)
    out = RuleSet([r]).validate(facts(tags=("a" * 28 + "!",)))
    assert out.fired == [] and out.errors == []
    assert RuleSet([r]).validate(facts(tags=("a" * 28,))).tags == ["odd"]


def test_a_regex_sees_at_most_the_bounded_input():
    c = compile_condition('ship_to.city =~~ "x$"')
    assert c.matches(facts(city="a" * (MAX_INPUT_CHARS - 1) + "x"))
    assert not c.matches(facts(city="a" * MAX_INPUT_CHARS + "x"))  # the tail beyond the bound is not seen


@pytest.mark.parametrize("pattern,why", [
    (r"(a)\\1", "back-references"),
    ("(?=a)a", "look-ahead"),
    ("(?<!a)b", "look-ahead and look-behind"),
    ("(a{1000}){1000}", "repetition"),
])
def test_patterns_re2_cannot_run_are_refused_with_the_place_of_the_pattern(pattern, why):
    text = f'order.channel =~ "{pattern}"'
    with pytest.raises(ConditionInvalid) as exc:
        compile_condition(text)
    p = exc.value.problem
    assert p.column == text.index('"') + 2  # the first character of the pattern
    assert why in p.message and "RE2" in p.hint


def test_a_pattern_must_be_quoted_text():
    with pytest.raises(ConditionInvalid) as exc:
        compile_condition("ship_to.pin =~ ship_to.city")
    assert exc.value.problem.column == 13 and "quoted text" in exc.value.problem.message
