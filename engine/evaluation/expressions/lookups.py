"""The fast path for names, attributes and items: how rules read the bound facts and options.

Access goes through the environment's ``getattr``/``getitem`` as in Jinja's code, so the sandbox
checks and the Undefined objects are Jinja's; ``d.key`` on a plain dict reads the key directly, which
is what the sandbox's getattr ends up doing. Underscore names are always left to the sandbox.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import nodes

from interlock.evaluation.expressions.closures import SPECIAL_NAMES, Compiled, NodeCompiler, Unsupported

#: Attributes a plain dict has: for these names ``getattr`` wins over the key, so Jinja's own getattr decides.
_DICT_ATTRS = frozenset(dir(dict))


class LookupNodes(NodeCompiler):
    """``name``, ``a.b`` and ``a[b]`` (slices too), resolved as Jinja resolves them."""

    def _Name(self, node: nodes.Name) -> Compiled:
        if node.ctx != "load" or node.name in SPECIAL_NAMES:
            raise Unsupported("name")
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
            raise Unsupported("attribute")  # Jinja's sandbox answers for underscore names
        env, undefined = self.env, self.env.undefined
        if attr in _DICT_ATTRS:
            inner = self.expr(node.node)
            return lambda ctx: env.getattr(inner(ctx), attr)
        if isinstance(node.node, nodes.Name) and node.node.ctx == "load" and node.node.name not in SPECIAL_NAMES:
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
            raise Unsupported("item store")
        inner = self.expr(node.node)
        if isinstance(node.arg, nodes.Slice):
            # Jinja's code subscripts slices directly, bypassing environment.getitem
            parts = [self.expr(p) if p is not None else None for p in (node.arg.start, node.arg.stop, node.arg.step)]

            def sliced(ctx: Mapping[str, Any]) -> Any:
                obj = inner(ctx)
                return obj[slice(*(p(ctx) if p is not None else None for p in parts))]

            return sliced
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            raise Unsupported("underscore item")
        arg, getitem = self.expr(node.arg), self.env.getitem
        return lambda ctx: getitem(inner(ctx), arg(ctx))
