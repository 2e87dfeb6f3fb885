"""Jinja expressions and templates inside rule files, evaluated in a sandbox.

Rule files hold no Python: what they compute (a derived fact's fields, a
finding's identity, its message) is a Jinja expression or template over the
bound facts and the rule's options. Jinja's sandbox keeps rule packs from
reaching Python internals; StrictUndefined turns a typo into an error instead
of an empty string.

A large organization evaluates hundreds of thousands of expressions, and a
Jinja call spends most of its time building a render context. So each source
is parsed once (by Jinja's own parser) and turned into plain Python closures
that perform exactly the operations Jinja's generated code performs: the same
``environment.getattr``/``getitem`` (so the same sandbox checks and the same
Undefined objects), the same filter and test functions, the same Python
operators. Whatever that fast path does not cover (a node type the catalog
does not use, an underscore attribute, a call needing a Jinja context) is left
to Jinja itself, at compile time or at the moment it happens, so results,
errors and sandbox refusals never change.
"""
from __future__ import annotations

import copy
import datetime
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, cast

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

Names = Mapping[str, str]
#: A compiled expression: the values it sees -> its value.
Compiled = Callable[[Mapping[str, Any]], Any]
#: A compiled template: the values it sees -> its text (not stripped).
Rendered = Callable[[Mapping[str, Any]], str]


def percent(value: Any, digits: int = 0) -> str:
    """0.4 -> '40%': how compensation designers read weights and rates."""
    number = float(value) * 100
    text = f"{number:.{digits}f}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def number(value: Any, digits: int = 2) -> str:
    """A readable number: thousands separators, no trailing zeros."""
    number_ = float(value)
    if number_.is_integer():
        return f"{int(number_):,}"
    return f"{number_:,.{digits}f}".rstrip("0").rstrip(".")


def date(value: Any) -> str:
    """A day number of the facts (days since 1970-01-01) -> '2027-06-30'."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(value))).isoformat()


def direction(value: Any) -> str:
    return "raise" if int(value) > 0 else "lower"


def moves(value: Any) -> str:
    return "rises" if int(value) > 0 else "falls"


@cache
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    from interlock.model.money import money_filter

    env.filters.update(percent=percent, number=number, direction=direction, moves=moves, date=date,
                       money=money_filter)
    return env


# --- the Jinja path: the reference, and the fallback of the fast path ----------------------------


@cache
def jinja_expression(source: str) -> Callable[..., Any]:
    """Jinja's own compiled expression (codegen + exec), built only when needed."""
    return environment().compile_expression(source, undefined_to_none=False)


@cache
def jinja_template(source: str) -> Any:
    """Jinja's own compiled template, built only when needed."""
    return environment().from_string(source)


expression, template = jinja_expression, jinja_template


def jinja_evaluate(source: str, context: Mapping[str, Any]) -> Any:
    """The expression's value computed by Jinja alone: the reference for the fast path."""
    return jinja_expression(source)(**context)


def jinja_render(source: str, context: Mapping[str, Any]) -> str:
    """The template's text rendered by Jinja alone (not stripped)."""
    return str(jinja_template(source).render(**context))


# --- parsing and the syntax check -----------------------------------------------------------------


@cache
def parse_expression(source: str) -> nodes.Expr:
    """The expression's tree, parsed exactly as ``compile_expression`` parses it (no codegen)."""
    env = environment()
    stored = _stored_tree(source, template=False, root=nodes.Expr)
    if stored is not None:
        return cast(nodes.Expr, stored)
    parser = Parser(env, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
    expr.set_environment(env)
    return expr


@cache
def parse_template(source: str) -> nodes.Template:
    """The template's tree (no codegen)."""
    stored = _stored_tree(source, template=True, root=nodes.Template)
    if stored is not None:
        return cast(nodes.Template, stored)
    return environment().parse(source)


# --- parse trees kept in the rule-catalog cache ---------------------------------------------------
# Parsing is most of what a rule's expressions cost in a short run (the lexer is pure Python): the
# catalog's ~200 sources take ~35 ms. The cached catalog (rulebook.py) therefore stores their trees
# as JSON: a node is ``[type name, lineno or null, *fields]``, a list field ``{"list": [...]}``, any
# other field a JSON scalar. A stored tree is rebuilt (without Jinja's lexer and parser) the first time
# its source is parsed; a tree that cannot be rebuilt is ignored and the source is parsed.

#: Stored trees not rebuilt yet, by (source, is template).
_STORED: dict[tuple[str, bool], Any] = {}
_SCALAR_FIELDS = (str, int, float, bool, type(None))


class Unstorable(ValueError):
    """A tree holding something other than nodes, lists and JSON scalars: it is parsed each time."""


def tree_to_json(node: nodes.Node) -> list[Any]:
    """A parse tree as JSON (raises Unstorable for a field that is not a node, a list or a scalar)."""
    if type(node.lineno) not in (int, type(None)):  # None: the parser leaves an Operand's unset
        raise Unstorable(f"{type(node).__name__} has no line number")
    encoded: list[Any] = [type(node).__name__, node.lineno]
    for name in node.fields:
        try:
            value = getattr(node, name)
        except AttributeError as exc:
            raise Unstorable(f"{type(node).__name__}.{name} is not set") from exc
        encoded.append(_field_to_json(value))
    return encoded


def _field_to_json(value: Any) -> Any:
    if isinstance(value, nodes.Node):
        return tree_to_json(value)
    if type(value) is list:
        return {"list": [_field_to_json(v) for v in value]}
    if type(value) is float and not math.isfinite(value) or type(value) is int and value.bit_length() > 4096:
        raise Unstorable("a number JSON cannot hold exactly")  # JSON has no inf; huge ints may not print
    if type(value) in _SCALAR_FIELDS:
        return value
    raise Unstorable(f"cannot store a {type(value).__name__} field")


def tree_from_json(data: Any, env: ImmutableSandboxedEnvironment | None = None) -> nodes.Node:
    """A tree stored by ``tree_to_json``, rebuilt node by node as Jinja's parser builds it, every node's
    environment set to ``env`` (as the parser's ``set_environment`` does).

    Raises ValueError when ``data`` is not such a tree.
    """
    if type(data) is not list or len(data) < 2 or type(data[0]) is not str or type(data[1]) not in (int, type(None)):
        raise ValueError("not a stored node")
    cls, size = _node_class(data[0])
    if len(data) != size:
        raise ValueError(f"not a stored {data[0]} node")
    node = object.__new__(cls)  # what Node.__init__ sets, without its argument checks (done above)
    fields = node.__dict__
    for name, value in zip(cls.fields, data[2:]):
        fields[name] = _field_from_json(value, env)
    fields["lineno"] = data[1]
    fields["environment"] = env
    return node


def _list_from_json(value: dict[str, Any], env: ImmutableSandboxedEnvironment | None) -> list[Any]:
    items = value.get("list")
    if len(value) != 1 or type(items) is not list:
        raise ValueError("not a stored list")
    return [_field_from_json(item, env) for item in items]


def _field_from_json(value: Any, env: ImmutableSandboxedEnvironment | None) -> Any:
    """A node's field or list item: a node (stored as a list), a list (a dict), or a plain value."""
    kind = type(value)
    if kind is list:
        return tree_from_json(value, env)
    if kind is dict:
        return _list_from_json(value, env)
    if kind not in _SCALAR_FIELDS:
        raise ValueError("not a stored field")
    return value


@cache
def _node_class(name: str) -> tuple[type[nodes.Node], int]:
    """The concrete node class called ``name``, and the length of its stored form."""
    cls = getattr(nodes, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nodes.Node)) or cls.abstract:
        raise ValueError(f"not a stored node: {name!r}")
    return cls, 2 + len(cls.fields)


def stored_trees(sources: Iterable[tuple[str, bool]]) -> list[list[Any]]:
    """``[source, is template, tree]`` for each source that parses and whose tree JSON can hold."""
    stored = []
    for source, is_template in sources:
        try:
            tree = parse_template(source) if is_template else parse_expression(source)
            stored.append([source, is_template, tree_to_json(tree)])
        except (TemplateSyntaxError, Unstorable, RecursionError):
            continue
    return stored


def remember_trees(entries: Iterable[Sequence[Any]]) -> None:
    """Keep stored trees (``stored_trees``' output) to be rebuilt when their source is first parsed."""
    for source, is_template, tree in entries:
        if type(source) is str and type(is_template) is bool:
            _STORED.setdefault((source, is_template), tree)


def _stored_tree(source: str, *, template: bool, root: type[nodes.Node]) -> nodes.Node | None:
    """The stored tree of ``source``, rebuilt, or None (then it is parsed)."""
    data = _STORED.pop((source, template), None)
    if data is None:
        return None
    try:
        tree = tree_from_json(data, environment())
    except (ValueError, RecursionError):
        return None
    return tree if isinstance(tree, root) else None


def syntax_error(source: str, *, template: bool) -> str | None:
    """The first syntax error in an expression or template, or None.

    A source the fast path covers is checked by parsing alone (every filter and
    test it names exists, so Jinja's code generator would accept it too); any
    other source is compiled by Jinja as before, so every error Jinja reports
    is still reported, with Jinja's message.
    """
    try:
        if template:
            if _fast_template(source) is None:
                jinja_template(source)
        elif _fast_expression(source) is None:
            jinja_expression(source)
    except TemplateSyntaxError as exc:
        return exc.message or "invalid Jinja syntax"
    return None


# --- the fast path --------------------------------------------------------------------------------


class _Unsupported(Exception):
    """At compile time: a construct the fast path leaves to Jinja."""


class _Fallback(Exception):
    """At run time: a case (a call needing Jinja's context, an unsafe callable) left to Jinja."""


#: Attributes a plain dict has: for these names ``getattr`` wins over the key, so Jinja's own getattr decides.
_DICT_ATTRS = frozenset(dir(dict))
#: Names with a special meaning in Jinja's generated code.
_SPECIAL_NAMES = frozenset({"self", "loop", "super", "caller", "varargs", "kwargs"})
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge, "lt": operator.lt,
    "lteq": operator.le, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}
_BINARY: dict[type[nodes.BinExpr], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul, nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv, nodes.Mod: operator.mod, nodes.Pow: operator.pow,
}
_UNARY: dict[type[nodes.UnaryExpr], Callable[[Any], Any]] = {
    nodes.Not: operator.not_, nodes.Neg: operator.neg, nodes.Pos: operator.pos,
}
#: Deeper expressions are left to Jinja (Python limits how deeply its generated code may nest).
_MAX_DEPTH = 48
_STOP_ITERATION = "value was undefined because a callable raised a StopIteration exception"

Statement = Callable[[dict[str, Any], list[str]], None]


class _Compiler:
    """Jinja expression nodes -> closures over the context, doing what Jinja's generated code does."""

    def __init__(self, env: ImmutableSandboxedEnvironment) -> None:
        self.env = env
        self.eval_ctx = EvalContext(env)
        self.depth = 0

    # -- templates --------------------------------------------------------
    def template(self, tree: nodes.Template) -> Rendered:
        body = self.statements(tree.body)

        def render(context: Mapping[str, Any]) -> str:
            out: list[str] = []
            body(dict(context), out)
            return "".join(out)

        return render

    def statements(self, body: list[nodes.Node]) -> Statement:
        steps = [self.statement(node) for node in body]

        def run(scope: dict[str, Any], out: list[str]) -> None:
            for step in steps:
                step(scope, out)

        return run

    def statement(self, node: nodes.Node) -> Statement:
        if self.depth >= _MAX_DEPTH:
            raise _Unsupported("nesting")
        self.depth += 1
        try:
            return self._statement(node)
        finally:
            self.depth -= 1

    def _statement(self, node: nodes.Node) -> Statement:
        if isinstance(node, nodes.Output):
            return self.output(node)
        if isinstance(node, nodes.If):
            return self.if_(node)
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name) and node.target.ctx == "store":
            if node.target.name in _SPECIAL_NAMES:
                raise _Unsupported("special name")
            name, value = node.target.name, self.expr(node.node)

            def assign(scope: dict[str, Any], out: list[str]) -> None:
                scope[name] = value(scope)

            return assign
        raise _Unsupported(type(node).__name__)

    def output(self, node: nodes.Output) -> Statement:
        parts: list[str | Compiled] = [self.output_part(child) for child in node.nodes]

        def emit(scope: dict[str, Any], out: list[str]) -> None:
            for part in parts:
                out.append(part if isinstance(part, str) else str(part(scope)))

        return emit

    def output_part(self, node: nodes.Expr) -> str | Compiled:
        """Template text, or an output Jinja turns into text at compile time when it can, or an expression."""
        if isinstance(node, nodes.TemplateData):
            return str(node.data)
        try:
            return str(node.as_const(self.eval_ctx))  # Jinja's _output_child_to_const, with str() as finalize
        except Exception:
            return self.expr(node)

    def if_(self, node: nodes.If) -> Statement:
        branches = [(self.expr(node.test), self.statements(node.body))]
        branches += [(self.expr(elif_.test), self.statements(elif_.body)) for elif_ in node.elif_]
        otherwise = self.statements(node.else_)

        def run(scope: dict[str, Any], out: list[str]) -> None:
            for test, body in branches:
                if test(scope):
                    body(scope, out)
                    return
            otherwise(scope, out)

        return run

    # -- expressions ------------------------------------------------------
    def expr(self, node: nodes.Node) -> Compiled:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _Unsupported(type(node).__name__)
        if isinstance(node, nodes.Expr) and not isinstance(node, nodes.Const):
            folded = self.fold(node)
            if folded is not None:
                return folded
        if self.depth >= _MAX_DEPTH:
            raise _Unsupported("nesting")  # Jinja's generated Python has limits of its own
        self.depth += 1
        try:
            compiled: Compiled = method(node)
        finally:
            self.depth -= 1
        return compiled

    def fold(self, node: nodes.Expr) -> Compiled | None:
        """Jinja's optimizer turns a constant part into its value at compile time (``as_const``, which
        differs from run time in places: a constant slice goes through ``getitem``); so do we."""
        try:
            value = node.as_const(self.eval_ctx)
            nodes.Const.from_untrusted(value)  # what the optimizer requires of a folded value
        except nodes.Impossible:
            return None
        except Exception as exc:  # the optimizer lets it escape: Jinja fails to compile
            raise _Unsupported("constant folding fails") from exc
        return _constant(value)

    def _Const(self, node: nodes.Const) -> Compiled:
        return _constant(node.value)

    def _Name(self, node: nodes.Name) -> Compiled:
        if node.ctx != "load" or node.name in _SPECIAL_NAMES:
            raise _Unsupported("name")
        return self._lookup(node.name)

    def _lookup(self, name: str) -> Compiled:
        """Jinja's resolve: the context, then the environment's globals, else Undefined(name=...)."""
        env, undefined = self.env, self.env.undefined

        def lookup(ctx: Mapping[str, Any]) -> Any:
            try:
                return ctx[name]
            except KeyError:
                if name in env.globals:
                    return env.globals[name]
                return undefined(name=name)

        return lookup

    def _Getattr(self, node: nodes.Getattr) -> Compiled:
        attr = node.attr
        if node.ctx != "load" or attr.startswith("_"):
            raise _Unsupported("attribute")  # Jinja's sandbox answers for underscore names
        env, undefined = self.env, self.env.undefined
        if attr in _DICT_ATTRS:
            inner = self.expr(node.node)
            return lambda ctx: env.getattr(inner(ctx), attr)
        if isinstance(node.node, nodes.Name) and node.node.ctx == "load" and node.node.name not in _SPECIAL_NAMES:
            key = node.node.name
            globals_ = env.globals

            def field_of_name(ctx: Mapping[str, Any]) -> Any:
                try:
                    obj = ctx[key]
                except KeyError:
                    obj = globals_[key] if key in globals_ else undefined(name=key)
                if type(obj) is dict:
                    try:
                        return obj[attr]
                    except KeyError:
                        return undefined(obj=obj, name=attr)
                return env.getattr(obj, attr)

            return field_of_name
        inner = self.expr(node.node)

        def field(ctx: Mapping[str, Any]) -> Any:
            obj = inner(ctx)
            if type(obj) is dict:
                # a plain dict has no attribute of this name, so SandboxedEnvironment.getattr would look up the key
                try:
                    return obj[attr]
                except KeyError:
                    return undefined(obj=obj, name=attr)
            return env.getattr(obj, attr)

        return field

    def _Getitem(self, node: nodes.Getitem) -> Compiled:
        if node.ctx != "load":
            raise _Unsupported("item store")
        inner = self.expr(node.node)
        if isinstance(node.arg, nodes.Slice):
            # Jinja's code subscripts slices directly, bypassing environment.getitem
            parts = [self.expr(p) if p is not None else None for p in (node.arg.start, node.arg.stop, node.arg.step)]

            def sliced(ctx: Mapping[str, Any]) -> Any:
                obj = inner(ctx)
                return obj[slice(*(p(ctx) if p is not None else None for p in parts))]

            return sliced
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            raise _Unsupported("underscore item")
        arg, getitem = self.expr(node.arg), self.env.getitem
        return lambda ctx: getitem(inner(ctx), arg(ctx))

    def _BinExpr(self, node: nodes.BinExpr) -> Compiled:
        op = _BINARY[type(node)]
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: op(left(ctx), right(ctx))

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _BinExpr

    def _UnaryExpr(self, node: nodes.UnaryExpr) -> Compiled:
        op, inner = _UNARY[type(node)], self.expr(node.node)
        return lambda ctx: op(inner(ctx))

    _Not = _Neg = _Pos = _UnaryExpr

    def _And(self, node: nodes.And) -> Compiled:
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: left(ctx) and right(ctx)

    def _Or(self, node: nodes.Or) -> Compiled:
        left, right = self.expr(node.left), self.expr(node.right)
        return lambda ctx: left(ctx) or right(ctx)

    def _Concat(self, node: nodes.Concat) -> Compiled:
        """Jinja's str_join: every part evaluated, then str() of each in order, joined."""
        # constants are stringified now (the same str() Jinja applies when run), into a format string
        layout = "".join(str(n.value).replace("{", "{{").replace("}", "}}") if isinstance(n, nodes.Const) else "{}"
                         for n in node.nodes)
        parts = [self.expr(n) for n in node.nodes if not isinstance(n, nodes.Const)]
        if len(parts) == 1:
            (part,) = parts
            return lambda ctx: layout.format(str(part(ctx)))
        return lambda ctx: layout.format(*map(str, [p(ctx) for p in parts]))

    def _Compare(self, node: nodes.Compare) -> Compiled:
        first = self.expr(node.expr)
        ops = [(_COMPARE[o.op], self.expr(o.expr)) for o in node.ops]
        if len(ops) == 1:
            (op, second), = ops
            return lambda ctx: op(first(ctx), second(ctx))

        def chained(ctx: Mapping[str, Any]) -> Any:
            # Python's chained comparison, which Jinja emits: each operand once, stop at the first falsy result
            left = first(ctx)
            result: Any = True
            for op, operand in ops:
                right = operand(ctx)
                result = op(left, right)
                if not result:
                    return result
                left = right
            return result

        return chained

    def _CondExpr(self, node: nodes.CondExpr) -> Compiled:
        test, then = self.expr(node.test), self.expr(node.expr1)
        if node.expr2 is not None:
            otherwise = self.expr(node.expr2)
            return lambda ctx: then(ctx) if test(ctx) else otherwise(ctx)
        # Jinja's implicit else is the plain Undefined, whatever the environment's class
        hint = f"the inline if-expression on line {node.lineno} evaluated to false and no else section was defined."
        return lambda ctx: then(ctx) if test(ctx) else Undefined(hint)

    def _List(self, node: nodes.List) -> Compiled:
        items = [self.expr(n) for n in node.items]
        return lambda ctx: [i(ctx) for i in items]

    def _Tuple(self, node: nodes.Tuple) -> Compiled:
        if node.ctx != "load":
            raise _Unsupported("tuple store")
        items = [self.expr(n) for n in node.items]
        return lambda ctx: tuple([i(ctx) for i in items])

    def _Dict(self, node: nodes.Dict) -> Compiled:
        pairs = [(self.expr(p.key), self.expr(p.value)) for p in node.items]
        return lambda ctx: {k(ctx): v(ctx) for k, v in pairs}

    def _Filter(self, node: nodes.Filter) -> Compiled:
        if node.node is None:
            raise _Unsupported("filter block")
        return self._apply(self.env.filters.get(node.name), node)

    def _Test(self, node: nodes.Test) -> Compiled:
        return self._apply(self.env.tests.get(node.name), node)

    def _apply(self, func: Any, node: nodes.Filter | nodes.Test) -> Compiled:
        """``func(value, *args, **kwargs)``, with the environment or eval context first if it asks for it."""
        if func is None:
            raise _Unsupported("unknown filter or test")  # Jinja raises, at compile or at run time
        pass_arg = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
        if pass_arg == "context":
            raise _Unsupported("needs a Jinja context")
        prefix: tuple[Any, ...] = {"eval_context": (self.eval_ctx,), "environment": (self.env,)}.get(pass_arg or "", ())
        value = self.expr(node.node)  # type: ignore[arg-type]
        args, kwargs = self._signature(node)
        if not args and not kwargs:
            if prefix:
                return lambda ctx: func(*prefix, value(ctx))
            return lambda ctx: func(value(ctx))
        fixed = self._fixed_arguments(node)
        if fixed is not None:  # `round(4)`, `join(', ')`: immutable constants, passed as they are each time
            positional, named = fixed
            return lambda ctx: func(*prefix, value(ctx), *positional, **named)
        return lambda ctx: func(*prefix, value(ctx), *[a(ctx) for a in args], **{k: v(ctx) for k, v in kwargs})

    @staticmethod
    def _fixed_arguments(node: nodes.Filter | nodes.Test) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """The arguments when all are immutable constants written in the source, else None."""
        values = [*node.args, *(k.value for k in cast("list[nodes.Keyword]", node.kwargs))]
        if not all(isinstance(v, nodes.Const) and _immutable(v.value) and _finite(v.value) for v in values):
            return None
        named = {k.key: k.value.value for k in cast("list[nodes.Keyword]", node.kwargs)}
        return tuple(a.value for a in node.args), named

    def _signature(self, node: nodes.Filter | nodes.Test | nodes.Call) -> tuple[list[Compiled], list[tuple[str, Compiled]]]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unsupported("*args or **kwargs")
        keywords = cast("list[nodes.Keyword]", node.kwargs)
        keys = [k.key for k in keywords]
        if len(set(keys)) != len(keys):
            raise _Unsupported("repeated keyword")  # Jinja's generated Python does not compile
        return [self.expr(a) for a in node.args], [(k.key, self.expr(k.value)) for k in keywords]

    def _Call(self, node: nodes.Call) -> Compiled:
        """SandboxedEnvironment.call then Context.call; a method comes from the sandbox's own getattr."""
        callee = self.expr(node.node)
        args, kwargs = self._signature(node)
        if any(key.startswith("_") for key, _ in kwargs):
            raise _Unsupported("underscore keyword")  # Context.call drops some of these
        is_safe, undefined = self.env.is_safe_callable, self.env.undefined

        def call(ctx: Mapping[str, Any]) -> Any:
            func = callee(ctx)
            values = [a(ctx) for a in args]
            named = {k: v(ctx) for k, v in kwargs}
            if (isinstance(func, Undefined) or not is_safe(func)
                    or getattr(func, "jinja_pass_arg", None) is not None
                    or getattr(getattr(func, "__call__", None), "jinja_pass_arg", None) is not None):
                raise _Fallback  # Jinja raises SecurityError or passes its context
            try:
                return func(*values, **named)
            except StopIteration:
                return undefined(_STOP_ITERATION)

        return call


def _constant(value: Any) -> Compiled:
    """A folded value: Jinja writes its repr into the generated code, so each evaluation gets a fresh copy."""
    if not _finite(value):
        raise _Unsupported("non-finite constant")  # Jinja's generated code names inf or nan, which fails
    try:
        repr(value)
    except ValueError as exc:  # an int beyond Python's digit limit: Jinja's code generation fails
        raise _Unsupported("no repr") from exc
    if _immutable(value):
        return lambda ctx: value
    return lambda ctx: copy.deepcopy(value)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(k) and _finite(v) for k, v in value.items())
    return True


def _immutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(v) for v in value)
    return value is None or type(value) in (bool, int, float, complex, str, range)


@cache
def _fast_expression(source: str) -> Compiled | None:
    """Closures for the expression, or None where Jinja must evaluate it; raises on a syntax error."""
    try:
        return _Compiler(environment()).expr(parse_expression(source))
    except _Unsupported:
        return None


@cache
def _fast_template(source: str) -> Rendered | None:
    """Closures for the template, or None where Jinja must render it; raises on a syntax error."""
    try:
        return _Compiler(environment()).template(parse_template(source))
    except _Unsupported:
        return None


@cache
def compile_expression(source: str) -> Compiled:
    """The expression as a callable over a context: closures when they cover it, Jinja otherwise.

    Raises TemplateSyntaxError for a broken expression, like Jinja.
    """
    fast = _fast_expression(source)
    if fast is None:
        reference = jinja_expression(source)
        return lambda ctx: reference(**ctx)

    def run(ctx: Mapping[str, Any]) -> Any:
        try:
            return fast(ctx)
        except _Fallback:
            return jinja_evaluate(source, ctx)

    return run


@cache
def compile_template(source: str) -> Rendered:
    """The template as a callable over a context returning its text (not stripped)."""
    fast = _fast_template(source)
    if fast is None:
        reference = jinja_template(source)
        return lambda ctx: str(reference.render(**ctx))

    def run(ctx: Mapping[str, Any]) -> str:
        try:
            return fast(ctx)
        except _Fallback:
            return jinja_render(source, ctx)

    return run


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    return compile_expression(source)(context)


def render(source: str, context: Mapping[str, Any]) -> str:
    return compile_template(source)(context).strip()


def context(bindings: Mapping[str, Mapping[str, Any]], options: Mapping[str, Any], names: Names | None = None) -> dict[str, Any]:
    """What an expression sees: the bound facts by alias, ``options`` and ``name``."""
    lookup = names or {}

    def name(value: Any) -> str:
        return lookup.get(str(value), str(value).replace("_", " "))

    def chain(start: Any, path: Mapping[str, Any]) -> str:
        """'B falls -> C falls -> D rises': each metric on a path after the paid one."""
        metrics = str(path["via"]).split(">")[1:]
        steps, current = [], int(start)
        for metric, sign in zip(metrics, str(path["signs"])):
            current *= 1 if sign == "+" else -1
            steps.append(f"{name(metric)} {moves(current)}")
        return " -> ".join(steps)

    return {**bindings, "options": options, "name": name, "chain": chain}
