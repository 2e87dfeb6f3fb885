"""Interlock: a linter for incentive plans."""
from __future__ import annotations

__version__ = "0.1.0"

#: Where Interlock lives: SARIF rules link to docs/rules.md there (helpUri), and the docs, the
#: pre-commit hook and the GitHub Action (action.yml) name it. The checkout this was written in has
#: no git remote, so this is a placeholder until the repository is published: how to set it is a
#: maintainer task, in docs/workflow.md#repository-address; tests/outputs/test_ci.py checks the documents follow.
REPOSITORY = "https://github.com/interlock-linter/interlock"
#: The branch the documentation links point at.
DOCS_REF = "main"
