"""The workbook commands behind cli.py: `import`, `export` and `init --spreadsheet` (docs/spreadsheets.md).

Each writes its files together or not at all (render.Outbox), never over a file unless told to
(``--force``), and refuses a folder where `interlock check` would read the new files together with
others that describe the same organization (every id would then be defined twice).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath

from interlock.errors import UsageError
from interlock.read.loader import Document, is_policy_file, load_documents

#: More of the example organization than `interlock init` writes in YAML, so that every sheet a
#: designer fills in has a row to copy; together with the scaffold's files it passes `interlock check`.
EXAMPLE_EXTRA = """\
departments:
  - {id: sales-east, name: Sales East, parent: sales, kind: team, owner: Regional director East, headcount: 5}
targets:
  - {id: fy27-bookings, owner: sales, metric: bookings, value: 16_000_000, period: FY2027,
     basis: "Four quarters of 4.0M"}
assumptions:
  - {department: sales, name: win_rate, value: 25%, period: FY2027, note: Three-year average.}
milestones:
  - {id: price-list, name: New price list in force, owner: sales, planned: 2027-03-31, confidence: 90%}
dependencies:
  - {id: account-handover, consumer: customer-support, provider: sales, deliverable: Handover notes for every new account,
     due: 2027-02-01}
hires:
  - {id: east-sellers, department: sales-east, role: Account executive, count: 2, start: 2027-04-01, ramp_months: 3}
spend:
  - {id: sales-kickoff, department: sales, purpose: Sales kickoff, amount: 60_000, from: 2027-01-15, to: 2027-01-16}
plans:
  - id: east-ae
    department: sales-east
    role: Account executive (East)
    participants: 4
    target_incentive: 40_000
    clawback: {days: 180, on: [cancellation, non-payment]}
    measures:
      - {metric: bookings, weight: 70%, target: 1_500_000, period: quarter, basis: booking}
      - {metric: gross_margin_pct, weight: 30%, target: 35%}
    modifiers:
      - {metric: csat, range: [90%, 110%], criteria: "+10% when the region's customers rate delivery 90% or better"}
definitions:
  - {metric: bookings, department: sales, text: "Signed order from a customer, credited at order entry."}
"""


def _documents_from_text(files: Iterable[tuple[str, str]]) -> list[Document]:
    from interlock.read.yamlsource import parse_yaml

    documents = []
    for name, text in files:
        data, index = parse_yaml(text, name)
        documents.append(Document(name, data, index))
    return documents


def example_documents() -> list[Document]:
    """The example organization of `interlock init`, with a row for every sheet a designer fills in."""
    from interlock.commands.scaffold import ORGANIZATION, SALES, SUPPORT

    return _documents_from_text([("organization.yml", ORGANIZATION), ("sales.yml", SALES),
                                 ("customer-support.yml", SUPPORT), ("example.yml", EXAMPLE_EXTRA)])


def _refuse_existing(targets: Sequence[Path], force: bool, what: str) -> None:
    existing = [p.as_posix() for p in targets if p.exists()]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise UsageError(f"{what} would overwrite {shown}; nothing was written (use --force to replace "
                         f"{'it' if len(existing) == 1 else 'them'})")
    folders = [p.as_posix() for p in targets if p.is_dir()]
    if folders:
        raise UsageError(f"{folders[0]} is a folder; nothing was written")


def _refuse_neighbours(folder: Path, targets: Sequence[Path], what: str) -> None:
    """Refuse a folder that holds policy files the command does not write: they would be read with the new ones."""
    if not folder.is_dir():
        return
    mine = {p.resolve() for p in targets}
    others = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                    if p.is_file() and p.resolve() not in mine and is_policy_file(PurePath(p.relative_to(folder))))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise UsageError(f"{folder.as_posix()} already holds policy files ({shown}) that `interlock check "
                         f"{folder.as_posix()}` would read with the new ones; nothing was written (choose a new "
                         "or empty folder, or move them away)")


def _write(files: Sequence[tuple[Path, str | bytes]], overwrite: bool) -> None:
    from interlock.files import Outbox

    with Outbox() as outbox:
        for path, body in files:
            outbox.stage(path, body, overwrite=overwrite)
        outbox.commit()


def import_workbook(source: Path, folder: Path, force: bool = False) -> list[Path]:
    """Write the policy YAML a workbook (or a folder of CSV sheets) stands for into ``folder``."""
    from interlock.model.validate import validate
    from interlock.commands.workbook_import import policy_files

    if not source.exists():
        raise UsageError(f"{source.as_posix()}: no such file or directory")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder.as_posix()} is a file, not a folder")
    documents = load_documents([source])
    organization = validate(documents)
    texts = policy_files(documents, organization, folder, source.name or source.as_posix())
    targets = [folder / name for name in texts]
    _refuse_existing(targets, force, "import")
    _refuse_neighbours(folder, targets, "import")
    _write([(folder / name, text) for name, text in texts.items()], overwrite=force)
    return targets


def export_workbook(paths: Sequence[Path], output: Path, force: bool = False) -> list[Path]:
    """Write the organization under ``paths`` as a workbook (``output`` ends in .xlsx) or a folder of CSV sheets."""
    from interlock.model.validate import validate
    from interlock.outputs.workbook_write import organization_rows, policy_csv, policy_workbook

    suffix = output.suffix.lower()
    if suffix in (".csv", ".xls", ".ods", ".xlsm"):
        raise UsageError(f"{output.as_posix()}: write an Excel workbook (-o plans.xlsx) or a folder of CSV sheets "
                         "(-o plans/)")
    documents = load_documents(list(paths))
    organization = validate(documents)
    rows = organization_rows(documents, organization)
    inputs = _input_files(documents)
    shown = ", ".join(p.as_posix() for p in paths)
    if suffix == ".xlsx":
        files: list[tuple[Path, str | bytes]] = [(output, policy_workbook(rows, shown))]
        folder = output.parent
    else:
        if output.exists() and not output.is_dir():
            raise UsageError(f"{output.as_posix()} is a file: name an .xlsx workbook or a folder for the CSV sheets")
        files = [(output / name, text) for name, text in policy_csv(rows).items()]
        folder = output
    targets = [path for path, _ in files]
    for target in targets:
        if target.resolve() in inputs:
            raise UsageError(f"{target.as_posix()}: this run reads that file; refusing to overwrite it")
    if any(path.parent == folder.resolve() for path in inputs):
        raise UsageError(f"{folder.as_posix() or '.'} holds the policy files being exported: `interlock check` would "
                         "read the export with them and find every id twice; nothing was written (write it elsewhere)")
    _refuse_existing(targets, force, "export")
    _write(files, overwrite=force)
    return targets


def _input_files(documents: Sequence[Document]) -> set[Path]:
    found: set[Path] = set()
    for doc in documents:
        path = Path(doc.path)
        if path.is_dir():
            found.update(p.resolve() for p in path.glob("*.csv"))
        else:
            found.add(path.resolve())
    return found


def scaffold_workbook(directory: Path, as_csv: bool = False) -> list[Path]:
    """`interlock init --spreadsheet DIR`: the example organization as plans.xlsx (or CSV sheets), with the
    configuration and waiver files of `interlock init`."""
    from interlock.commands.scaffold import CONFIG, WAIVERS
    from interlock.model.validate import validate
    from interlock.outputs.workbook_write import organization_rows, policy_csv, policy_workbook

    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory.as_posix()} is a file, not a directory")
    documents = example_documents()
    rows = organization_rows(documents, validate(documents))
    files: list[tuple[Path, str | bytes]]
    if as_csv:
        files = [(directory / name, text) for name, text in policy_csv(rows).items()]
    else:
        files = [(directory / "plans.xlsx", policy_workbook(rows, "interlock init --spreadsheet"))]
    files += [(directory / "interlock.yml", CONFIG), (directory / "interlock-waivers.yml", WAIVERS)]
    targets = [path for path, _ in files]
    existing = [p.as_posix() for p in targets if p.exists()]
    if existing:
        raise UsageError(f"init would overwrite {', '.join(existing[:3])}{', ...' if len(existing) > 3 else ''}; "
                         "nothing was written (choose a new directory or move the files away)")
    _refuse_neighbours(directory, targets, "init")
    _write(files, overwrite=False)
    return targets
