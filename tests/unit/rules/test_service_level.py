"""deliver_within as the solver's promise: the order's own promise always stays hard."""

import pytest

from omnialloc.services.allocation.planning import Routing, service_level


@pytest.mark.parametrize("promised,days,strict,expected", [
    (None, None, False, (None, "hard", 0, None)),          # no rule: the order's promise as it is
    (4, None, False, (4, "hard", 0, None)),
    (None, 2, True, (2, "hard", 0, None)),                  # strict: a hard promise
    (5, 2, True, (2, "hard", 0, None)),                     # strict tightens the order's promise
    (1, 2, True, (1, "hard", 0, None)),                     # ... never loosens it
    (None, 2, False, (2, "soft", 700, None)),               # soft: a target with a penalty per late day
    (6, 2, False, (2, "soft", 700, 6)),                     # ... lanes slower than the order's 6 days excluded
    (2, 5, False, (2, "hard", 0, None)),                    # the order's own promise is already faster
])
def testservice_level_combines_the_rule_with_the_orders_promise(promised, days, strict, expected):
    routing = Routing(deliver_within_days=days, deliver_within_strict=strict, late_penalty_paise=700)
    assert service_level(promised, routing, pickup=False) == expected


def test_pickup_orders_have_noservice_level():
    assert service_level(None, Routing(deliver_within_days=1, deliver_within_strict=True), pickup=True) == \
        (None, "hard", 0, None)
