"""The fast expression path (closures built from Jinja's parse tree) against Jinja itself.

Every expression and message template of the built-in catalog is evaluated
both ways on the contexts a real lint produces (the example organization, the
fixtures, every rule example, random organizations) and on generated facts;
random expressions over random values probe the semantics the catalog does
not happen to use. Results must match in value and type, Undefined objects in
their class, hint, name and owner, and errors in type and message. What the
fast path does not cover, or what Jinja's sandbox refuses, must go to Jinja.
"""
from __future__ import annotations

import math
import re
import tempfile
import timeit
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateSyntaxError, nodes, pass_context
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import SecurityError
from jinja2.utils import missing
from orggen import random_org, write_org

from interlock.evaluation import expressions
from interlock.evaluation.expressions import closures, compiled
from interlock.read.config import Config
from interlock.evaluation.evaluate import Evaluator
from interlock.findings.findings import build_findings
from interlock.lint import facts_of, names
from interlock.read.loader import load_documents
from interlock.evaluation.rulebook import Rule, load_rulebook
from interlock.model.validate import validate
from paths import ROOT_DIR

ROOT = ROOT_DIR
ADDRESS = re.compile(r"0x[0-9a-f]+")
BOOK = load_rulebook()
#: Catalog sources the fast path leaves to Jinja, and why.
LEFT_TO_JINJA = {
    ("Q09", "message"): "the select filter needs a Jinja context",
}


# --- comparing outcomes -----------------------------------------------------------------------------


def shape(value: Any) -> Any:
    """A comparable picture of a value: its exact type and value; Undefined by what it would report."""
    if isinstance(value, Undefined):
        owner = value._undefined_obj
        return ("undefined", type(value), value._undefined_hint, shape(value._undefined_name),
                "missing" if owner is missing else shape(owner), value._undefined_exception)
    if isinstance(value, float):
        return (float, "nan" if math.isnan(value) else repr(value))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(shape(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple((shape(k), shape(v)) for k, v in value.items()))
    if callable(value):  # a bound method is a new object at each access: compare what it is bound to
        owner = getattr(value, "__self__", None)
        return (type(value), getattr(value, "__name__", None), id(value) if owner is None else shape(owner))
    if isinstance(value, str):
        return (type(value), ADDRESS.sub("0x?", value))  # '<built-in method upper of str object at 0x...>'
    return (type(value), value)


def outcome(run: Callable[[], Any]) -> Any:
    try:
        return ("value", shape(run()))
    except Exception as exc:  # the error is part of the behaviour
        return ("raises", type(exc), ADDRESS.sub("0x?", str(exc)))


def fast_expression(source: str) -> Callable[[Mapping[str, Any]], Any]:
    fast = compiled._fast_expression(source)
    assert fast is not None, f"not covered by the fast path: {source!r}"
    return fast


def fast_template(source: str) -> Callable[[Mapping[str, Any]], str]:
    fast = compiled._fast_template(source)
    assert fast is not None, f"not covered by the fast path: {source!r}"
    return fast


def same_expression(source: str, ctx: Mapping[str, Any], *, covered: bool = True) -> None:
    """The fast closures (which must exist if ``covered``), the public entry point and Jinja agree."""
    expected = outcome(lambda: expressions.jinja_evaluate(source, ctx))
    if covered or outcome(lambda: compiled._fast_expression(source))[1][0] is not type(None):
        assert outcome(lambda: fast_expression(source)(ctx)) == expected, source
    assert outcome(lambda: expressions.evaluate(source, ctx)) == expected, source


def same_template(source: str, ctx: Mapping[str, Any], *, covered: bool = True) -> None:
    expected = outcome(lambda: expressions.jinja_render(source, ctx))
    if covered or outcome(lambda: compiled._fast_template(source))[1][0] is not type(None):
        assert outcome(lambda: fast_template(source)(ctx)) == expected, source
    assert outcome(lambda: expressions.compile_template(source)(ctx)) == expected, source


# --- the catalog's sources ------------------------------------------------------------------------


def sources_of(rule: Rule) -> Iterator[tuple[str, str, bool]]:
    """(where, source, is_template) for every expression and template of a rule."""
    if rule.check:
        yield "check", rule.check, False
    for key in ("identity", "prefer", "departments", "objectives"):
        for i, src in enumerate(getattr(rule, key)):
            yield f"{key}[{i}]", src, False
    for name, src in (rule.derive or {}).get("fields", {}).items():
        yield f"derive.{name}", src, False
    if rule.message:
        yield "message", rule.message, True


CATALOG = sorted({(rule.id, where, src, template) for rule in BOOK.rules for where, src, template in sources_of(rule)})
EXPRESSIONS = sorted({src for _r, _w, src, template in CATALOG if not template})
TEMPLATES = sorted({src for _r, _w, src, template in CATALOG if template})


def test_the_fast_path_covers_the_catalog() -> None:
    """Every catalog expression and template compiles to closures, except the few listed (Jinja renders those)."""
    assert len(CATALOG) > 300
    left = {(rule, where) for rule, where, src, template in CATALOG
            if (compiled._fast_template(src) if template else compiled._fast_expression(src)) is None}
    assert left == set(LEFT_TO_JINJA)


# --- contexts from real runs ----------------------------------------------------------------------

Recorded = dict[tuple[str, bool], list[Mapping[str, Any]]]
PER_SOURCE = 60
#: The fail examples and two random organizations reach every catalog source; pass examples add little.
KINDS, SEEDS = ("fail",), 2
ORGANIZATIONS = ("aligned_org", "report_org", "policy_minimal")


@contextmanager
def recording(calls: Recorded) -> Iterator[None]:
    """Record the context of every evaluation and render, however the pipeline reaches them."""
    compile_expression, compile_template = expressions.compile_expression, expressions.compile_template

    def keep(source: str, template: bool, ctx: Mapping[str, Any]) -> None:
        seen = calls.setdefault((source, template), [])
        if len(seen) < PER_SOURCE:
            seen.append(ctx)

    def expression(source: str) -> Callable[[Mapping[str, Any]], Any]:
        compiled = compile_expression(source)

        def run(ctx: Mapping[str, Any]) -> Any:
            keep(source, False, ctx)
            return compiled(ctx)

        return run

    def template(source: str) -> Callable[[Mapping[str, Any]], str]:
        compiled = compile_template(source)

        def run(ctx: Mapping[str, Any]) -> str:
            keep(source, True, ctx)
            return compiled(ctx)

        return run

    # Both the entry points' module and the package: a derivation compiles its fields through the package.
    with mock.patch.object(compiled, "compile_expression", expression), \
            mock.patch.object(expressions, "compile_expression", expression), \
            mock.patch.object(compiled, "compile_template", template):
        yield


def example_folders(tmp: Path) -> list[list[Path]]:
    """Every rule example's policy, each in its own file, plus random organizations."""
    runs = []
    for rule in BOOK.checks:
        for kind in KINDS:
            for i, example in enumerate(rule.examples.get(kind, [])):
                path = tmp / f"{rule.id}-{kind}-{i}.yml"
                path.write_text(yaml.safe_dump(example["policy"], sort_keys=False), encoding="utf-8")
                runs.append([path])
    for seed in range(SEEDS):
        runs.append(write_org(random_org(seed), tmp / f"random-{seed}"))
    return runs


@cache
def recorded() -> Recorded:
    """Contexts of every evaluation in lints of the example organization, the fixtures, examples and random orgs."""
    calls: Recorded = {}
    options = Config().rule_options(BOOK)
    linted = 0
    with tempfile.TemporaryDirectory() as folder, recording(calls):
        runs = [[ROOT / "policies"], *([ROOT / "tests" / "fixtures" / name] for name in ORGANIZATIONS)]
        runs += example_folders(Path(folder))
        with Evaluator(BOOK.compile(options)) as evaluator:  # every check rule, whatever the example is for
            for paths in runs:
                org = validate(load_documents(paths))
                matches, _derived = evaluator.run(facts_of(org))
                build_findings(matches, BOOK, options, None, names(org))
                linted += 1
    assert linted == len(runs)
    return calls


def test_real_runs_reach_the_catalog() -> None:
    """The recorded runs evaluate (nearly) every catalog expression and template, so the comparison means something."""
    calls = recorded()
    reached = {(src, template) for src, template in calls}
    missing = sorted(f"{rule} {where}" for rule, where, src, template in CATALOG if (src, template) not in reached)
    assert len(missing) <= len(CATALOG) // 20, missing


def test_every_recorded_evaluation_matches_jinja() -> None:
    count = 0
    for (source, template), contexts in sorted(recorded().items(), key=lambda item: item[0]):
        for ctx in contexts:
            if template:
                same_template(source, ctx, covered=compiled._fast_template(source) is not None)
            else:
                same_expression(source, ctx)
            count += 1
    assert count > 2000


# --- generated facts for the catalog's expressions ----------------------------------------------------


def fields_used(tree: nodes.Node) -> dict[str, set[str]]:
    """alias -> the fields an expression reads from it (``m.dept``), from the parse tree."""
    used: dict[str, set[str]] = {}
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            used.setdefault(node.node.name, set()).add(node.attr)
    for node in tree.find_all(nodes.Name):
        used.setdefault(node.name, set())
    return used


SCALARS = st.one_of(
    st.integers(-5, 5), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.0, 0.5, -0.0, 1.0, True, False, None, "", "a", "b>c", "a>b>c", "+-", "EUR", "percent",
                     "half", "year", "sales", "currency", "forecast"]),
    st.text(max_size=4),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


@st.composite
def catalog_case(draw: st.DrawFn) -> tuple[str, bool, dict[str, Any]]:
    source, template = draw(st.sampled_from([(s, False) for s in EXPRESSIONS] + [(s, True) for s in TEMPLATES]))
    tree = expressions.parse_template(source) if template else expressions.parse_expression(source)
    bindings: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for alias, attrs in sorted(fields_used(tree).items()):
        if alias in ("name", "chain") or draw(st.integers(0, 9)) == 0:
            continue  # sometimes a whole alias is unbound
        fact = {attr: draw(VALUES) for attr in sorted(attrs) if draw(st.integers(0, 3))}  # mostly present
        if alias == "options":
            options = fact
        else:
            bindings[alias] = fact
    names_ = draw(st.dictionaries(st.sampled_from(["a", "b", "c", "sales"]), st.text(max_size=3), max_size=2))
    return source, template, expressions.context(bindings, options, names_)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalog_case())
def test_catalog_sources_match_jinja_on_generated_facts(case: tuple[str, bool, dict[str, Any]]) -> None:
    source, template, ctx = case
    if template:
        same_template(source, ctx, covered=compiled._fast_template(source) is not None)
    else:
        same_expression(source, ctx)


# --- random expressions over random values ------------------------------------------------------------

LEAVES = st.sampled_from([
    "a", "b", "n", "f", "s", "t", "z", "lst", "d", "d.a", "d.b", "d.missing", "d.items", "d.get", "missing",
    "missing.x", "0", "1", "-1", "2.5", "0.1", "'x'", "'>'", "''", "none", "true", "false", "[1, 'a']", "(1, 2)",
    "{'k': 1}", "range", "options.x", "name('a_b')",
])
BINARY = ["+", "-", "*", "/", "//", "%", "~", "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "not in"]
FILTERS = ["round", "round(2)", "abs", "default(0)", "default('')", "length", "int", "float", "string", "lower",
           "join(', ')", "first", "max", "min", "sort", "percent", "number", "direction", "moves", "list", "sum"]


def random_expression() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.sampled_from(["<", "<=", "=="]), inner, st.sampled_from(["<", "!="]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]} {t[3]} {t[4]})"),
            inner.map(lambda e: f"(not {e})"), inner.map(lambda e: f"(-{e})"),
            st.tuples(inner, st.sampled_from(FILTERS)).map(lambda t: f"({t[0]} | {t[1]})"),
            st.tuples(inner, st.sampled_from(["defined", "undefined", "none", "number", "string", "odd"])).map(
                lambda t: f"({t[0]} is {t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} if {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]}]"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[:{t[1]}]"),
            st.tuples(inner, st.sampled_from(["a", "b", "get", "items", "upper", "x"])).map(lambda t: f"{t[0]}.{t[1]}"),
            inner.map(lambda e: f"name({e})"),
        )

    return st.recursive(LEAVES, extend, max_leaves=6)


RANDOM_VALUES = st.fixed_dictionaries({
    "a": SCALARS, "b": SCALARS, "n": st.integers(-3, 3), "f": st.floats(-3, 3), "s": st.text(max_size=3),
    "t": st.booleans(), "z": st.none(), "lst": st.lists(SCALARS, max_size=3),
    "d": st.dictionaries(st.sampled_from(["a", "b", "items"]), SCALARS, max_size=3),
})


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # Python on Jinja's generated code for `0[0]`
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_expression(), RANDOM_VALUES)
def test_random_expressions_match_jinja(source: str, values: dict[str, Any]) -> None:
    ctx = expressions.context(values, {"x": values["a"]}, {"a b": "A"})
    same_expression(source, ctx, covered=False)  # a few fold to an error Jinja raises when compiling
    same_template("{% set v = " + source + " %}<{{ v }}>{% if v %}yes{% else %}no{% endif %}", ctx, covered=False)


# --- the sandbox ----------------------------------------------------------------------------------


class Secret:
    """An object with internals a rule must never reach."""

    _hidden = "hidden"

    def reveal(self) -> str:
        return "revealed"


def unsafe() -> str:
    return "ran"


unsafe.unsafe_callable = True  # type: ignore[attr-defined]


@pass_context
def wants_context(context: Context) -> str:
    return f"context with {sorted(k for k in context.get_all() if k in ('d', 'obj'))}"


SANDBOX_CTX = {"d": {"a": 1}, "obj": Secret(), "s": "text", "key": "__class__", "unsafe": unsafe,
               "wants_context": wants_context, "fmt": "{0.__class__}"}


def refused(result: Any) -> bool:
    """An error, or an Undefined that raises when used: what the sandbox answers to an unsafe access."""
    return result[0] == "raises" or result[1][0] == "undefined"


@pytest.mark.parametrize("source", [
    "d.__class__", "d.__class__.__mro__", "obj._hidden", "obj.__init__.__globals__", "d['__class__']",
    "s.__len__()", "name.__globals__", "obj._hidden is defined", "[d.__class__, 1]",
])
def test_underscore_access_is_left_to_the_sandbox(source: str) -> None:
    """The fast path never compiles an underscore attribute: Jinja answers (an unsafe Undefined, or SecurityError)."""
    assert compiled._fast_expression(source) is None
    ctx = expressions.context(SANDBOX_CTX, {})  # type: ignore[arg-type]
    result = outcome(lambda: expressions.evaluate(source, ctx))
    assert result == outcome(lambda: expressions.jinja_evaluate(source, ctx))
    assert refused(result) or result == ("value", (bool, False)) or "undefined" in str(result)


@pytest.mark.parametrize("source, is_refused", [
    ("d[key]", True),                 # a dynamic underscore key: the sandbox's own getitem refuses it
    ("d[key] is defined", False),
    ("(d | attr('__class__'))", True),  # the attr filter asks the sandbox too
    ("fmt.format(obj)", True),        # str.format becomes the sandbox's formatter
    ("d.pop('a')", True),             # ImmutableSandboxedEnvironment refuses mutating methods
    ("d.update({'b': 2})", True),
    ("unsafe()", True),               # marked unsafe_callable: SecurityError
    ("obj.reveal()", False),          # a plain method call is allowed by the sandbox too
    ("d.get('a')", False),
    ("range(10 ** 8)", True),         # the sandbox's range limit
])
def test_what_the_sandbox_refuses_is_refused_alike(source: str, is_refused: bool) -> None:
    ctx = expressions.context(dict(SANDBOX_CTX), {})  # type: ignore[arg-type]
    expected = outcome(lambda: expressions.jinja_evaluate(source, ctx))
    raw = outcome(lambda: fast_expression(source)(ctx))
    assert raw == expected or raw[:2] == ("raises", closures.Fallback)  # the closures defer to Jinja
    assert outcome(lambda: expressions.evaluate(source, ctx)) == expected
    assert refused(expected) == is_refused
    assert ctx["d"] == {"a": 1}, "the context was modified"


def test_an_unsafe_callable_raises_security_error_through_jinja() -> None:
    ctx = expressions.context({"unsafe": unsafe}, {})  # type: ignore[dict-item]
    with pytest.raises(SecurityError):
        expressions.evaluate("unsafe()", ctx)


def test_a_callable_asking_for_a_jinja_context_gets_one() -> None:
    """Runtime fallback: the closures hand the call to Jinja, which passes its Context."""
    ctx = expressions.context({"d": {"a": 1}, "wants_context": wants_context}, {})  # type: ignore[dict-item]
    assert expressions.evaluate("wants_context()", ctx) == "context with ['d']"
    assert expressions.render("{{ wants_context() }}!", ctx) == "context with ['d']!"


# --- fallback for what the fast path does not cover -----------------------------------------------


@pytest.mark.parametrize("source", [
    "[1, 0, 2] | select | list", "[1, 2] | map('string') | list", "x | nosuchfilter",
    "x if y else (x | nosuchfilter)", "x is nosuchtest", "name(*['a'])", "name(**{'value': 'a'})",
    "not " * 60 + "x", "name(_loop_vars=1)", "d | round(precision=1, precision=2)",
    "1e999", "[1e308 * 10]", "10 ** 5000",  # Jinja's generated code fails on these constants
])
def test_uncovered_expressions_fall_back_to_jinja(source: str) -> None:
    assert compiled._fast_expression(source) is None
    ctx = expressions.context({"d": {"a": 1}, "x": 3, "y": True}, {})  # type: ignore[dict-item]
    assert outcome(lambda: expressions.evaluate(source, ctx)) == outcome(lambda: expressions.jinja_evaluate(source, ctx))


@pytest.mark.parametrize("source", [
    "{% for i in d %}{{ i }}{% endfor %}", "{% macro m() %}x{% endmacro %}{{ m() }}", "{{ self }}",
    "{% set a, b = 1, 2 %}{{ a }}", "{% filter upper %}x{% endfilter %}", "{% with q = 1 %}{{ q }}{% endwith %}",
])
def test_uncovered_templates_fall_back_to_jinja(source: str) -> None:
    assert compiled._fast_template(source) is None
    ctx = expressions.context({"d": {"a": 1}}, {})
    assert outcome(lambda: expressions.render(source, ctx)) == outcome(
        lambda: expressions.jinja_render(source, ctx).strip())


@pytest.mark.parametrize("source, ctx", [
    ("{% set x = 1 %}{{ x }}", {}),
    ("{{ x }}{% set x = 2 %}{{ x }}", {"x": 1}),
    ("{% if t %}{% set x = 2 %}{% endif %}{{ x }}", {"x": 1, "t": False}),
    ("{% if t %}{% set x = 2 %}{% elif u %}{% set x = 3 %}{% else %}{% set x = 4 %}{% endif %}{{ x }}",
     {"t": False, "u": True}),
    ("{{ missing }}", {}), ("{{ x if false }}|", {}), ("{{ 1.0 }} {{ none }} {{ true }} {{ [1, 'a'] }}", {}),
    ("{{ d.get('a', 0) }} {{ d.missing is defined }} {{ d.items }}", {"d": {"a": 1}}),
    ("{{ '{' ~ x ~ '}}' }}", {"x": 0.1}),
])
def test_template_semantics_match_jinja(source: str, ctx: dict[str, Any]) -> None:
    same_template(source, ctx)


# --- the syntax check ---------------------------------------------------------------------------------


def reference_syntax_error(source: str, *, template: bool) -> str | None:
    """The syntax check before the fast path: Jinja's full compile."""
    try:
        if template:
            expressions.environment().from_string(source)
        else:
            expressions.environment().compile_expression(source)
    except TemplateSyntaxError as exc:
        return exc.message or "invalid Jinja syntax"
    return None


BROKEN_EXPRESSIONS = [
    "1 +", "a }} {{ b", "a.", "(a", "a | ", "a | nosuch", "a is nosuch", "a if b else (c | nosuch)",
    "false and (a | nosuch)", "a | round(precision=1)", "[a, b", "{'a': }", "a b", "name(a", "a ~~ b", "",
    "a = 1", "a.__class__", "1 if 2", "x | default",
]
BROKEN_TEMPLATES = [
    "{{ a", "{{ a | nosuch }}", "{% if a %}{{ b | nosuch }}{% endif %}", "{% if a %}", "{% endif %}",
    "{% for %}", "{% set %}", "{{ a }} {% unknown %}", "{% set x = 1 %}{{ x | nosuch }}", "{{ a if b }}",
    "{% if a %}x{% elif %}y{% endif %}",
]


@pytest.mark.parametrize("source", BROKEN_EXPRESSIONS)
def test_expression_syntax_errors_are_jinjas(source: str) -> None:
    assert expressions.syntax_error(source, template=False) == reference_syntax_error(source, template=False)


@pytest.mark.parametrize("source", BROKEN_TEMPLATES)
def test_template_syntax_errors_are_jinjas(source: str) -> None:
    assert expressions.syntax_error(source, template=True) == reference_syntax_error(source, template=True)


def test_catalog_sources_have_no_syntax_error_either_way() -> None:
    for _rule, _where, source, template in CATALOG:
        assert expressions.syntax_error(source, template=template) is None
        assert reference_syntax_error(source, template=template) is None


def test_the_syntax_check_does_not_compile_covered_sources_with_jinja() -> None:
    """Jinja's codegen runs only for sources the fast path leaves to it (the slow part of loading the catalog)."""
    env = expressions.environment()
    expression, template = "p.hops + 1 if p.hops is defined else 0", "{% set h = p.hops %}{{ h | number }} hops"
    with mock.patch.object(env, "compile_expression", side_effect=AssertionError("compiled")), \
            mock.patch.object(env, "from_string", side_effect=AssertionError("compiled")), \
            mock.patch.object(env, "compile", side_effect=AssertionError("compiled")):
        assert expressions.syntax_error(expression, template=False) is None
        assert expressions.syntax_error(template, template=True) is None
        assert expressions.evaluate(expression, {"p": {"hops": 2}}) == 3
        assert expressions.render(template, {"p": {"hops": 2}}) == "2 hops"


# --- speed --------------------------------------------------------------------------------------------


def test_the_fast_path_is_much_faster_than_jinja() -> None:
    """A derivation field (D02's ``via``) is evaluated hundreds of thousands of times in large organizations."""
    source = "p.via ~ '>' ~ e.dst"
    ctx = expressions.context({"p": {"via": "a>b"}, "e": {"dst": "c"}}, {})
    assert expressions.evaluate(source, ctx) == expressions.jinja_evaluate(source, ctx) == "a>b>c"
    fast = min(timeit.repeat(lambda: expressions.evaluate(source, ctx), number=2000, repeat=5))
    slow = min(timeit.repeat(lambda: expressions.jinja_evaluate(source, ctx), number=2000, repeat=5))
    assert fast * 3 < slow, (fast, slow)
