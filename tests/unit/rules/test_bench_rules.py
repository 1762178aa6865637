"""The benchmark's 50-rule set stays valid against the demo network (so the benchmark cannot rot)."""

from benchmarks.rules_bench import catalog, order_inputs, rule_specs

from omnialloc.rules import RuleSet, build_facts, compile_rule


def test_fifty_benchmark_rules_compile_on_the_fast_path_and_evaluate():
    cat = catalog()
    compiled = [compile_rule(spec, cat) for spec in rule_specs()]
    assert len(compiled) == 50 and all(r.condition.fast for r in compiled)
    rs = RuleSet(compiled)
    for x in order_inputs(50):
        f = build_facts(x)
        assert not rs.validate(f).errors and not rs.route(f, cat).errors


def test_five_hundred_benchmark_rules_compile_and_most_are_indexed():
    cat = catalog()
    compiled = [compile_rule(spec, cat) for spec in rule_specs(500)]
    assert len(compiled) == 500 and all(r.condition.fast for r in compiled)
    rs = RuleSet(compiled)
    assert sum(ix.indexed for ix in rs.index.values()) > 400
    for x in order_inputs(30):
        f = build_facts(x)
        assert not rs.validate(f).errors and not rs.route(f, cat).errors
