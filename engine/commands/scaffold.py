"""`interlock init DIR`: a small organization that passes `interlock check` and teaches the format by its comments.

A new user's first file is copied, not written from the reference, so every
file here explains itself and links to the reference (docs/policy-language.md,
docs/workflow.md). Nothing is ever overwritten: the command refuses up front
when any file it would write exists, or when the folder already holds policy
files that `interlock check DIR` would read together with the new ones.
"""
from __future__ import annotations

from pathlib import Path, PurePath

from interlock.errors import UsageError
from interlock.read.loader import is_policy_file

ORGANIZATION = """\
# The organization: its name, its fiscal year and its lead objectives.
# Interlock reads every *.yml / *.yaml file in this folder (except hidden files,
# interlock.yml and *waivers* / *baseline* files) as one organization: any file may
# hold any section, and ids are shared across files.
# Reference: docs/policy-language.md. Editors: `interlock schema > policy.schema.json`,
# then put `# yaml-language-server: $schema=policy.schema.json` on a file's first line.

organization:
  name: Example Co
  currency: USD                # ISO 4217; every amount of money below is in dollars
  fiscal_year: 2027            # the fiscal year being planned
  fiscal_year_start: 2027-01-01

# What the company wants. Lead objectives (the default) are the ones every plan must
# serve: Interlock reports a plan that pays against one, and a lead objective no plan
# pays for. `adopt` takes a built-in objective (its metrics and direction) by id:
# revenue-growth, customer-satisfaction, project-profitability, cash, gross-margin,
# on-time-delivery, customer-retention... (`interlock explain V02` shows why it matters).
objectives:
  - adopt: revenue-growth
    target: 10%                # in the primary metric's unit: revenue growth is a percentage
    priority: 1                # 1 is the highest
    period: FY2027
  - adopt: customer-satisfaction
    target: 88%
    priority: 2
    period: FY2027
  # An objective of your own names its metrics and the direction that is good:
  # - id: site-safety
  #   name: Safe sites
  #   metrics: [safety_incident_rate]
  #   direction: down
  #   lead: false              # tracked, but not one every plan must serve
"""

SALES = """\
# One file per department. A file that starts with `department:` is about that
# department: the plans (and targets, assumptions, hires...) below belong to it.
department:
  id: sales                    # lowercase letters, digits, - and _; used everywhere else
  name: Sales
  owner: Head of sales
  headcount: 12

plans:
  - id: sales-ae
    role: Account executive
    participants: 10           # people on the plan
    target_incentive: 50000   # per participant and year at 100% attainment, in USD
    pay_mix: 40%               # the variable share of target pay (a 60/40 plan)
    effective: {from: 2027-01-01, to: 2027-12-31}
    # Each measure pays for one metric of the catalog (`interlock rules` lists the
    # rules that read them). Weights are shares of the target incentive and must add
    # up to 100% (rule Q08). 40% and 0.4 mean the same.
    measures:
      - metric: bookings       # pays for growth, which serves revenue-growth
        weight: 70%
        threshold: 3000000   # in the metric's unit: bookings are money
        target: 4000000
        cap: 6000000
        period: quarter        # month, quarter, half, year or multi-year
        basis: booking         # when a result counts: booking, invoice, cash, delivery...
        # Attainment of the target -> payout as a share of this measure's incentive.
        curve:
          - {attainment: 75%, payout: 50%}
          - {attainment: 100%, payout: 100%}
          - {attainment: 150%, payout: 200%}
      - metric: gross_margin_pct
        weight: 30%            # a quality measure next to volume: growth at a price
        target: 35%            #   the company can afford
    # Commissions paid on bookings come back if the customer cancels or never pays.
    clawback:
      days: 180
      triggers: [cancellation, non-payment]
"""

SUPPORT = """\
# The second department. Try a conflict: replace the plan's two measures with
# `- {metric: handle_time, weight: 100%, direction: down}` and run `interlock check`:
# V03 reports, as an error, that cutting handle time lowers first-contact resolution and
# so customer satisfaction, a lead objective. Keep first-contact resolution next to it
# (60% handle time, 40% fcr) and it becomes V10's information: the plan pays a counterweight.
department:
  id: customer-support
  name: Customer support
  owner: Head of customer support
  headcount: 8

plans:
  - id: support-agents
    role: Support agent
    participants: 8
    measures:
      - {metric: csat, weight: 60%, target: 88%}   # serves customer-satisfaction directly
      - {metric: fcr, weight: 40%, target: 75%}    # first-contact resolution
    # A gate withholds payout unless a metric reaches a minimum (in its unit).
    gates:
      - metric: csat
        minimum: 80%
        effect: no payout below
"""

CONFIG = """\
# Interlock configuration. `interlock check` finds this file by walking up from the
# folder it checks (or use --config FILE); command-line flags override it.
# `interlock config --show` prints the resolved configuration and where each value came
# from; `interlock config --schema` prints its JSON Schema. Reference: docs/workflow.md.

# Which rules run: ids (V03), names (paid-against-lead-objective) or families
# (vertical, cross-functional, temporal, quantitative, hygiene). Empty: every rule.
select: []
ignore: []

# How serious a finding is, per rule: error, warning or info. Example:
#   severity: {weights-not-100-percent: warning}
severity: {}

# Rule options, per rule (`interlock explain RULE` lists them). Example:
#   options: {paid-against-lead-objective: {min_weight: 0.2}}
options: {}

# The lowest severity that fails the run (exit status 1): error, warning, info or never.
# Separate from severities: CI can fail on warnings while people see everything.
fail-on: error

# Findings accepted for a while, each with a justification, an owner and an expiry date.
waivers: interlock-waivers.yml

# Adopting Interlock on plans that already conflict? Record today's findings once
#   interlock check . --write-baseline interlock-baseline.yml
# and fail only on new ones from then on:
#   baseline: interlock-baseline.yml

# Rule packs of your own (one rule per YAML file), relative to this file:
#   rule-packs: [rules]
"""

WAIVERS = """\
# Waivers: findings this organization accepts for a while, reviewed like any plan change.
# A waived finding stays in every report, marked with its waiver, but does not fail the
# run. After its expiry date a waiver stops applying and Interlock says so (W001); a
# waiver that matches no finding is reported as stale (W002). Rules marked
# `waivable: false` cannot be waived (W003). Reference: docs/workflow.md.
#
# Name the finding by its fingerprint (`interlock check --format json` prints it) ...
#   - fingerprint: 36d4a655f6294502
#     justification: Supplier terms are renegotiated this quarter; the CFO accepted the risk.
#     owner: cfo@example.com
#     expires: 2027-06-30          # the last day it applies
#     approved_by: ceo@example.com # optional
# ... or by rule plus the departments and/or objectives it concerns (every department
# and objective of the finding must be listed):
#   - rule: weights-not-100-percent
#     departments: [sales]
#     justification: The new margin measure is added at the mid-year review.
#     owner: head-of-sales@example.com
#     expires: 2027-06-30
waivers: []
"""

#: What `init` writes, in order; the policy files first.
FILES: tuple[tuple[str, str], ...] = (
    ("organization.yml", ORGANIZATION),
    ("sales.yml", SALES),
    ("customer-support.yml", SUPPORT),
    ("interlock.yml", CONFIG),
    ("interlock-waivers.yml", WAIVERS),
)


def scaffold(directory: Path) -> list[Path]:
    """Write the example organization into ``directory`` (created if needed); return the files written.

    The files are written together or not at all: a failure (a full disk, a file created meanwhile)
    leaves neither a partial organization nor a new empty folder behind.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory.as_posix()} is a file, not a directory")
    targets = [directory / name for name, _ in FILES]
    existing = [p.as_posix() for p in targets if p.exists()]
    if existing:
        raise UsageError(f"init would overwrite {', '.join(existing)}; nothing was written "
                         "(choose a new directory or move the files away)")
    if directory.is_dir():
        foreign = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                         if p.is_file() and is_policy_file(PurePath(p.relative_to(directory))))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise UsageError(f"{directory.as_posix()} already holds policy files ({shown}) that "
                             f"`interlock check {directory.as_posix()}` would read with the new ones; "
                             "nothing was written (choose a new or empty directory)")
    from interlock.files import Outbox

    with Outbox() as outbox:  # all five files or none, each whole, and never over a file that appeared meanwhile
        for path, (_, text) in zip(targets, FILES):
            outbox.stage(path, text, overwrite=False)
        outbox.commit()
    return targets
