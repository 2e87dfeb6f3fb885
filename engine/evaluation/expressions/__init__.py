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

The modules, in the order a source goes through them:

- ``sandbox``: the environment and its filters, Jinja's own evaluation (the reference and the
  fallback), the context an expression sees;
- ``trees``: parsing, and parse trees kept in the rule-catalog cache;
- ``closures``: the fast path's core (dispatch, constant folding, literals), extended by
  ``logic`` (comparisons, and/or/not, inline if), ``arithmetic`` (operators, ``~``),
  ``lookups`` (names, attributes, items), ``calls`` (filters, tests, calls) and
  ``templates`` (message templates);
- ``compiled``: each source compiled once, and the entry points (``evaluate``, ``render``,
  ``syntax_error``).
"""
from interlock.evaluation.expressions.compiled import (compile_expression, compile_template, evaluate, render,
                                                       syntax_error)
from interlock.evaluation.expressions.sandbox import context, environment, jinja_evaluate, jinja_render
from interlock.evaluation.expressions.trees import (Unstorable, parse_expression, parse_template, remember_trees,
                                                    stored_trees, tree_from_json, tree_to_json)

__all__ = [
    "Unstorable", "compile_expression", "compile_template", "context", "environment", "evaluate", "jinja_evaluate",
    "jinja_render", "parse_expression", "parse_template", "remember_trees", "render", "stored_trees", "syntax_error",
    "tree_from_json", "tree_to_json",
]
