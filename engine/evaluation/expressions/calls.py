"""The fast path for filters, tests and calls: the helpers rules use (``| percent``, ``is defined``, ``name(x)``).

Filters and tests are the environment's own functions, called as Jinja's code calls them; a call
is checked by the sandbox, and one the sandbox would refuse or that needs a Jinja context is
handed to Jinja at the moment it happens (``Fallback``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from jinja2 import nodes
from jinja2.runtime import Undefined

from interlock.evaluation.expressions.closures import Compiled, Fallback, NodeCompiler, Unsupported, finite, immutable

_STOP_ITERATION = "value was undefined because a callable raised a StopIteration exception"


class CallNodes(NodeCompiler):
    """``x | f(...)``, ``x is t(...)`` and ``f(...)``, with Jinja's argument passing."""

    def _Filter(self, node: nodes.Filter) -> Compiled:
        if node.node is None:
            raise Unsupported("filter block")
        return self._apply(self.env.filters.get(node.name), node)

    def _Test(self, node: nodes.Test) -> Compiled:
        return self._apply(self.env.tests.get(node.name), node)

    def _apply(self, func: Any, node: nodes.Filter | nodes.Test) -> Compiled:
        """``func(value, *args, **kwargs)``, with the environment or eval context first if it asks for it."""
        if func is None:
            raise Unsupported("unknown filter or test")  # Jinja raises, at compile or at run time
        pass_arg = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
        if pass_arg == "context":
            raise Unsupported("needs a Jinja context")
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
        if not all(isinstance(v, nodes.Const) and immutable(v.value) and finite(v.value) for v in values):
            return None
        named = {k.key: k.value.value for k in cast("list[nodes.Keyword]", node.kwargs)}
        return tuple(a.value for a in node.args), named

    def _signature(self, node: nodes.Filter | nodes.Test | nodes.Call) -> tuple[list[Compiled], list[tuple[str, Compiled]]]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported("*args or **kwargs")
        keywords = cast("list[nodes.Keyword]", node.kwargs)
        keys = [k.key for k in keywords]
        if len(set(keys)) != len(keys):
            raise Unsupported("repeated keyword")  # Jinja's generated Python does not compile
        return [self.expr(a) for a in node.args], [(k.key, self.expr(k.value)) for k in keywords]

    def _Call(self, node: nodes.Call) -> Compiled:
        """SandboxedEnvironment.call then Context.call; a method comes from the sandbox's own getattr."""
        callee = self.expr(node.node)
        args, kwargs = self._signature(node)
        if any(key.startswith("_") for key, _ in kwargs):
            raise Unsupported("underscore keyword")  # Context.call drops some of these
        is_safe, undefined = self.env.is_safe_callable, self.env.undefined

        def call(ctx: Mapping[str, Any]) -> Any:
            func = callee(ctx)
            values = [a(ctx) for a in args]
            named = {k: v(ctx) for k, v in kwargs}
            if (isinstance(func, Undefined) or not is_safe(func)
                    or getattr(func, "jinja_pass_arg", None) is not None
                    or getattr(getattr(func, "__call__", None), "jinja_pass_arg", None) is not None):
                raise Fallback  # Jinja raises SecurityError or passes its context
            try:
                return func(*values, **named)
            except StopIteration:
                return undefined(_STOP_ITERATION)

        return call
