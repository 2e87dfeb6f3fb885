"""Recovery windows: does a clawback or holdback last until non-payment can show?

A ``recovery_window`` fact per plan with a clawback (or holdback) that covers
non-payment (a clawback whose `on` lists it or lists nothing; a holdback always
does) and a measure credited before cash (booking, signature or invoice), when
the department (or an ancestor) assumes its customers' payment terms
(`payment_terms_days`): a customer who does not pay is known only when the terms
have run out, so a shorter window ends before the result it protects can show.

A ``trigger_window`` fact per plan whose clawback is triggered by churn,
downgrade, cancellation or a refund, when the department (or an ancestor)
assumes when that result shows: churn and downgrades at renewal, after the
contract term (`contract_term_months`); cancellations within the customer's
cancellation window (`cancellation_window_days`); refunds within the return
window (`return_window_days`). Of the triggers it covers, the one that shows
last is kept: one window, one verdict.
"""
from __future__ import annotations

from collections.abc import Iterator

from interlock.knowledge.facts import Fact, fact
from interlock.knowledge.quant.common import OrgIndex

BEFORE_CASH = ("booking", "signature", "invoice")


def recovery_windows(index: OrgIndex) -> Iterator[Fact]:
    for plan in index.org.plans:
        credited = sorted({m.basis for m in plan.measures if m.basis in BEFORE_CASH})
        if not credited:
            continue
        terms = index.assumption(plan.department, "payment_terms_days")
        if terms is None or terms.value is None:
            continue
        windows = []
        if plan.clawback is not None and plan.clawback.days is not None and (
                not plan.clawback.on or "non-payment" in plan.clawback.on):
            windows.append(("clawback", plan.clawback.days, plan.clawback.at))
        if plan.holdback is not None and plan.holdback.days is not None:
            windows.append(("holdback", plan.holdback.days, plan.holdback.at))
        for how, days, at in windows:
            yield fact(
                "recovery_window", f"{plan.id}/{how}", at,
                plan=plan.id, dept=plan.department, how=how, days=days, trigger="non-payment",
                shows_after=int(round(terms.value)), terms_dept=terms.department, basis=", ".join(credited),
            )


#: trigger -> (the assumption saying when it shows, how it reads, its unit in days)
SHOWS = {
    "churn": ("contract_term_months", "contract term", 365 / 12),
    "downgrade": ("contract_term_months", "contract term", 365 / 12),
    "cancellation": ("cancellation_window_days", "cancellation window", 1),
    "refund": ("return_window_days", "return window", 1),
}


def trigger_windows(index: OrgIndex) -> Iterator[Fact]:
    for plan in index.org.plans:
        claw = plan.clawback
        if claw is None or claw.days is None:
            continue
        shown = []
        for trigger in sorted(set(claw.on) & set(SHOWS)):
            name, what, per = SHOWS[trigger]
            found = index.assumption(plan.department, name)
            if found is None or found.value is None or found.value <= 0:
                continue
            days = int(round(found.value * per))
            unit = "month" if per != 1 else "day"
            shown.append((days, trigger, f"{found.value:g}-{unit} {what}", found.department, name))
        if not shown:
            continue
        days, trigger, source, dept, name = max(shown)
        yield fact(
            "trigger_window", f"{plan.id}/clawback", claw.at,
            plan=plan.id, dept=plan.department, days=claw.days, trigger=trigger, shows_after=days,
            source_text=source, source_dept=dept, assumption=name,
        )
