"""The percent-aware fast verdict (policy_schema.fast_valid): jsonschema-rs with the policy language's extensions.

Policies write percentages as text ('40%'), which the policy validator's minimum and maximum read
as numbers; standard JSON Schema ignores them, so documents holding percent text used to go to
jsonschema (and its ~40 ms import) on every run. jsonschema-rs now carries the same extension as a
custom keyword, and the plan-date format as a custom format. The verdict may only ever say
"valid" where jsonschema finds no error, and on documents whose numbers are plain it must decide
exactly as jsonschema does.
"""
from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.read import policy_schema as policy
from interlock.read.loader import load_documents
from paths import ROOT_DIR

ROOT = ROOT_DIR
FOLDERS = [ROOT / "policies", *(ROOT / "tests" / "fixtures" / name for name in ("aligned_org", "policy_minimal",
                                                                                   "report_org"))]
VIEWS = [policy.json_view(doc.data) for folder in FOLDERS for doc in load_documents([folder])]
#: Values near every edge the extensions care about: percent text in and out of bounds, dates of
#: the years plans mean and outside them, numbers too large, non-finite ones.
EDGES = st.one_of(
    st.sampled_from(["40%", "100%", "101%", "0%", "-5%", "+20%", " 40 % ", "40.5%", "4O%", "%", "1e3%", "150%",
                     "2027-01-01", "1899-12-31", "3000-01-01", "2027-02-30", "2027-1-1", "FY2027", "none", "x"]),
    st.floats(-2, 3), st.integers(-3, 3000), st.sampled_from([1e21, 1e22, 10 ** 30, float("inf"), float("nan")]),
    st.booleans(), st.none(),
)
VALUES = st.recursive(EDGES, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(
    st.sampled_from(["weight", "pay_mix", "share", "confidence", "attainment", "payout", "id", "x"]), inner,
    max_size=2), max_leaves=4)


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _paths(child, (*at, key))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], tuple(rest), new)
    return copy


def test_every_example_document_passes_without_jsonschema() -> None:
    assert policy._percent_verdict() is not None
    assert all(policy.fast_valid(view) for view in VIEWS)
    assert any(not policy.standard(view) for view in VIEWS)  # percent text: the old verdict had to ask jsonschema


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_verdict_is_the_policy_validators(data: st.DataObject) -> None:
    view = data.draw(st.sampled_from(VIEWS))
    for _ in range(data.draw(st.integers(1, 3))):
        view = _replaced(view, data.draw(st.sampled_from(_paths(view)[1:])), data.draw(VALUES))
    exact = policy._validator().is_valid(view)
    fast = policy.fast_valid(view)
    assert not fast or exact  # "valid" only where jsonschema finds nothing: no error is ever lost
    if policy._plain(view):
        assert fast == exact  # and otherwise the same decision


def test_a_percentage_out_of_bounds_is_still_an_error() -> None:
    view = next(v for v in VIEWS if "plans" in v and any(m.get("weight") for p in v["plans"] for m in p["measures"]))
    plan = next(i for i, p in enumerate(view["plans"]) if p["measures"])
    bad = _replaced(view, ("plans", plan, "measures", 0, "weight"), "140%")
    assert not policy.fast_valid(bad) and not policy._validator().is_valid(bad)
    assert policy.fast_valid(_replaced(view, ("plans", plan, "measures", 0, "weight"), "40%"))


def test_only_subschemas_get_the_keyword() -> None:
    """A property named `minimum` (gates) is a name, not a bound: it stays as it is."""
    schema = {"type": "object", "minimum": 1,
              "properties": {"minimum": {"type": "number", "maximum": 5}, "x": {"items": {"minimum": 0}}},
              "$defs": {"maximum": {"type": "string"}}}
    marked = policy.with_percent_bounds(schema)
    assert marked[policy.PERCENT_BOUNDS] == {"minimum": 1}
    assert marked["properties"]["minimum"][policy.PERCENT_BOUNDS] == {"maximum": 5}
    assert marked["properties"]["x"]["items"][policy.PERCENT_BOUNDS] == {"minimum": 0}
    assert policy.PERCENT_BOUNDS not in marked["$defs"]["maximum"] and set(marked["properties"]) == {"minimum", "x"}


def test_checking_the_example_organization_does_not_import_jsonschema() -> None:
    """jsonschema (~40 ms to import) is for the messages of invalid documents only."""
    code = ("import sys; from interlock.commands.cli import main; main(['check', 'policies', '--no-cache']); "
            "print('jsonschema' in sys.modules, 'referencing' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.stderr.strip().splitlines()[-1] == "False False", run.stderr


def test_every_edge_value_at_every_bounded_place_decides_alike() -> None:
    """Each percent, date and number edge at every place of the examples that holds a number or percent."""
    edges = ["40%", "100%", "101%", "0%", "-5%", "+20%", " 40 % ", "150%", "-0%", "1e3%", 0.4, 1.0, 1.01, -0.01,
             2, "2027-01-01", "1899-12-31"]
    checked = 0
    for view in VIEWS:
        for path in _paths(view)[1:]:
            holder = view
            for key in path:
                holder = holder[key]
            if isinstance(holder, bool) or not isinstance(holder, (int, float, str)):
                continue
            if isinstance(holder, str) and policy.PERCENT.match(holder.strip()) is None:
                continue
            for edge in edges:
                changed = _replaced(view, path, edge)
                assert policy.fast_valid(changed) == policy._validator().is_valid(changed), (path, edge)
                checked += 1
    assert checked > 1000
