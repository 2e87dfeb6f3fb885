"""Where the built-in rules, knowledge base, schemas and templates live; schema checks built once.

They are package data (pyproject maps rules/ and reports/ into the
``interlock`` package), so an editable and a regular install find them the
same way: through the import system (the package's own folder, or
importlib.resources where it is not one plain folder), never through paths
relative to a checkout.

jsonschema is exact and gives the messages users read, but it costs about a
millisecond per rule file. So each schema gets, once per process, its
jsonschema validator plus a jsonschema-rs validator as a fast verdict: a
document the verdict passes has no errors, and any other is validated by
jsonschema for its errors.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # jsonschema is imported only when a document needs its messages
    from importlib.resources.abc import Traversable

    from jsonschema import ValidationError


@cache
def rules_dir() -> Traversable:
    """The built-in rules folder (looked up once per process)."""
    return _package_folder("interlock.rules")


@cache
def reports_dir() -> Traversable:
    return _package_folder("interlock.reports")


def _package_folder(package: str) -> Traversable:
    """A data package's folder: from its import spec when it is one plain folder (as installed, editable
    or not), else through importlib.resources (a zip, say), whose imports alone cost ~5 ms a run."""
    spec = find_spec(package)
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if len(locations) == 1 and os.path.isdir(locations[0]):
        return Path(locations[0])
    from importlib.resources import files

    return files(package)


@cache
def schema(name: str) -> dict[str, Any]:
    """Load ``rules/schema/<name>.schema.json``."""
    text = (rules_dir() / "schema" / f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class SchemaCheck:
    """One schema's jsonschema validator (exact, with the messages users read) and a fast verdict.

    The verdict is jsonschema-rs, a compiled draft 2020-12 validator about a hundred times faster
    than jsonschema: a document it passes has no errors; any other, or one it cannot read (a
    Python date, say), is validated by jsonschema for its errors. Tests check that the two agree
    on our schemas and on thousands of edited documents.
    """

    def __init__(self, schema_data: Mapping[str, Any], formats: bool,
                 exact: Callable[[], Any] | None = None) -> None:
        self.schema = schema_data
        self.formats = formats
        self._exact = exact
        self._validator: Any = None
        self.verdict = _fast_validator(schema_data, formats)

    @property
    def validator(self) -> Any:
        """The jsonschema validator, built (and jsonschema imported) on first use."""
        if self._validator is None:
            if self._exact is not None:
                self._validator = self._exact()
            else:
                from jsonschema import Draft202012Validator

                checker = Draft202012Validator.FORMAT_CHECKER if self.formats else None
                self._validator = Draft202012Validator(self.schema, format_checker=checker)
        return self._validator

    def passes(self, instance: Any) -> bool:
        """True when the fast verdict finds the document valid (jsonschema would find no error)."""
        if self.verdict is None:
            return False
        try:
            return bool(self.verdict.is_valid(instance))
        except Exception:  # a value jsonschema-rs cannot read: jsonschema judges it
            return False

    def is_valid(self, instance: Any) -> bool:
        return self.passes(instance) or self.validator.is_valid(instance)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        """jsonschema's errors for the document; for a document the verdict passes, none, without running it."""
        if self.passes(instance):
            return iter(())
        return self.validator.iter_errors(instance)


def _fast_validator(schema_data: Mapping[str, Any], formats: bool) -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; without it jsonschema checks everything
        return None
    try:
        return jsonschema_rs.validator_for(schema_data, validate_formats=formats)
    except Exception:  # a schema it refuses (jsonschema does not check schemas): no fast verdict
        return None


@cache
def schema_check(name: str, *, formats: bool = False) -> SchemaCheck:
    """The check of ``rules/schema/<name>.schema.json``, built once per process."""
    return SchemaCheck(schema(name), formats)
