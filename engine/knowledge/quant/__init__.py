"""Quantitative facts: driver arithmetic, roll-ups, capacity, payout cost, curves, growth.

Python computes the numbers, the rules judge them (every threshold is a rule
option). Arithmetic is exact: Decimal throughout, floats only in the facts
handed to the rules engine. Every fact carries the arithmetic it came from as
readable text, so a finding can show its working.

Fact kinds (declared in engine/knowledge/factkinds.py, documented in
docs/quantitative.md), one module each family:

- funnels.py: ``funnel`` and ``supply``, does the provider's target carry the
  consumer's (story 3);
- rollups.py: ``rollup``, children's targets and quotas against their parent;
- capacity.py: ``capacity``, quota-carrying heads x ramp x productivity
  against the quotas;
- payout.py: ``payout_cost`` and ``budget``, what each plan costs and all of
  them against the incentive budget, with the payout arithmetic they share;
- curves.py: ``curve``, the shape of a measure's payout curve;
- growth.py: ``growth``, the revenue targets against the base and a growth
  objective (story 5); ``cascade_growth``, each department's cascade on a
  money metric against last period's actuals and that objective;
- crediting.py: ``credit_split``, crediting shares added up and what crediting
  a deal more than once costs at target;
- history.py: ``target_history`` and ``measure_history``, targets and
  thresholds against last period's actuals;
- cascade.py: ``cascade_step``, a child target against its parent on a
  metric that does not add up (a margin, a rate, days); ``rollup_exclusion``,
  a target left out of its parent's roll-up by its period;
- windows.py: ``recovery_window``, a clawback or holdback against the days
  non-payment takes to show; ``trigger_window``, a clawback against the days
  churn, a cancellation or a refund takes to show;
- delivery.py: ``capacity_load``, a department's delivery capacity against
  the demand other departments' targets and dependencies put on it;
  ``time_budget``, a utilisation target against the working days the
  non-billable days other plans require leave;
- handoffs.py: ``handoff``, a dependency stated at one funnel stage against a
  provider measured at an earlier one, converted;
- mechanics.py: ``plan_cap``, a plan's cap against what its curves promise;
  ``quota_phasing``, a quarterly phasing against quarterly history;
  ``lumpy_payout``, a quarterly curve with no true-up, lumpy year against even;
- bands.py: ``band_target``, a measure's band target (within 5 days of 30)
  against the figures others plan on for the metric;
- common.py: the organization indexed once, and the number formats.
"""
from __future__ import annotations

from collections.abc import Mapping

from interlock.knowledge.facts import Fact
from interlock.knowledge.quant.bands import band_targets
from interlock.knowledge.quant.capacity import capacities
from interlock.knowledge.quant.cascade import cascade_steps, rollup_exclusions
from interlock.knowledge.quant.common import OrgIndex
from interlock.knowledge.quant.crediting import credit_splits
from interlock.knowledge.quant.delivery import capacity_loads, time_budgets
from interlock.knowledge.quant.curves import curves
from interlock.knowledge.quant.funnels import funnels, supplies
from interlock.knowledge.quant.growth import cascade_growths, growth
from interlock.knowledge.quant.handoffs import handoffs
from interlock.knowledge.quant.history import measure_histories, target_histories
from interlock.knowledge.quant.mechanics import lumpy_payouts, plan_caps, quota_phasings
from interlock.knowledge.quant.payout import budget, payout_costs
from interlock.knowledge.quant.rollups import rollups
from interlock.knowledge.quant.windows import recovery_windows, trigger_windows
from interlock.model.model import Organization

__all__ = ["quantitative_facts"]


def quantitative_facts(org: Organization, attainment: Mapping[str, float] | None = None) -> list[Fact]:
    """Every quantitative fact about ``org``; ``attainment`` (plan id -> 0.8) adds a payout scenario."""
    index = OrgIndex(org)
    facts = [*funnels(index), *supplies(index), *rollups(index), *capacities(index), *curves(index), *growth(index), *cascade_growths(index),
             *credit_splits(index), *target_histories(index), *measure_histories(index),
             *cascade_steps(index), *rollup_exclusions(index), *recovery_windows(index), *trigger_windows(index),
             *capacity_loads(index), *time_budgets(index), *handoffs(index), *plan_caps(index),
             *quota_phasings(index), *lumpy_payouts(index), *band_targets(index)]
    costs = list(payout_costs(index, attainment or {}))
    facts.extend(fact_ for fact_, _cost in costs)
    facts.extend(budget(index, [cost for _fact, cost in costs]))
    return sorted(facts, key=lambda f: (str(f["kind"]), str(f["key"])))
