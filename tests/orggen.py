"""Random organizations for differential and property-based tests.

Each organization is a set of policy files (file name -> YAML data) built from
a seed: a few adopted objectives, departments with plans of random measures
and weights (sometimes not adding up), diverging definitions and assumptions,
milestones with contingent hires and spend, dependencies, and sometimes an
influence edge of its own. Everything it writes is valid policy language, so
every run reaches the rules engine.

A second generator seeded from the same seed adds the newer fields, each with
its own probability and in forms that fire their rules and forms that don't:
band targets (X17, H16), reported_by (H04), team measures and collaborative
objectives (H11), curves under a plan cap (H14), true_up, clawbacks with
triggers and holdbacks against payment terms and contract, return and
cancellation windows (T12, T14), time_required and working_days (Q14), money
targets (some relative, some phased) with history (V14, V17, H15, T08, H13,
V09), parent departments, segment assumptions (Q02, Q15), a lead dependency
multiplied out (Q01) and crediting rules (Q12, Q13, X07). Its stream is
separate, so the base draws of a seed are unchanged and the fields come on top.
"""
from __future__ import annotations

import datetime
import random
from pathlib import Path
from typing import Any

import yaml

METRICS = [
    "bookings", "new_business", "pipeline_value", "win_rate", "avg_deal_size", "discount_pct", "mql_count",
    "mql_to_sql_rate", "sql_count", "dpo", "payment_on_time_pct", "invoice_cycle_time", "supplier_otd",
    "supplier_health", "procurement_savings_pct", "schedule_adherence", "project_margin_pct", "gross_margin_pct",
    "csat", "fcr", "aht", "gross_retention", "utilisation_pct", "training_hours", "time_to_fill",
    "quality_of_hire", "dso", "op_cash_flow", "safety_incident_rate", "on_time_delivery",
]
OBJECTIVES = ["customer-satisfaction", "project-profitability", "revenue-growth", "cash", "customer-retention",
              "safety", "gross-margin", "on-time-delivery"]
WEIGHTS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6]
LEVERS = ["price", "payment_terms", "deal_timing", "scope", "recording"]

BAND_METRICS = {"utilisation_pct": ([0.75, 0.8, 0.85, 0.9], [0.03, 0.05, 0.1]), "dpo": ([30, 45, 60], [5, 10])}
MONEY_METRICS = ["new_business", "bookings"]
REPORTERS = ["system", "finance", "manager", "customer", "self"]
TRIGGERS = ["churn", "non-payment", "cancellation", "refund", "downgrade", "restatement"]
SEGMENTS = ["mid-market", "small-contractors"]


def _extend_plan(x: random.Random, plan: dict[str, Any], departments: list[str]) -> None:
    """The newer plan fields, each with a seeded probability, in forms that fire and forms that don't."""
    measures = plan["measures"]
    paid = {m["metric"] for m in measures}
    if x.random() < 0.3:  # a band target (X17, H16)
        metric = x.choice(sorted(BAND_METRICS))
        if metric not in paid:
            arounds, withins = BAND_METRICS[metric]
            measures.append({"metric": metric, "weight": x.choice(WEIGHTS),
                             "band": {"around": x.choice(arounds), "within": x.choice(withins)}})
    elif x.random() < 0.2 and "utilisation_pct" not in paid:  # a utilisation target (Q14)
        measures.append({"metric": "utilisation_pct", "weight": x.choice(WEIGHTS), "direction": "up",
                         "target": x.choice([0.7, 0.8, 0.85, 0.9])})
    for m in measures:
        if x.random() < 0.3:
            m["reported_by"] = x.choice(REPORTERS)  # H04
        if x.random() < 0.15:
            m["team"] = True  # H11
    plain = [m for m in measures if m["metric"] in MONEY_METRICS and "band" not in m]
    if plain and x.random() < 0.5:
        m = plain[0]
        m["direction"] = "up"
        if x.random() < 0.5:  # points on a line (H13 with plan history)
            threshold = x.choice([60_000, 75_000, 100_000, 115_000])
            m.update(threshold=threshold, target=threshold + x.choice([25_000, 50_000]), period="quarter")
        else:  # a curve, and perhaps a plan cap below it (H14)
            m["curve"] = [{"attainment": "50%", "payout": "0%"}, {"attainment": "100%", "payout": "100%"},
                          {"attainment": "200%", "payout": x.choice(["150%", "200%", "300%"])}]
    if x.random() < 0.3:
        plan["target_incentive"] = x.choice([20_000, 40_000])
        plan["cap"] = x.choice(["1.5x", "2x", "200%", "3x"])
    if x.random() < 0.2:
        plan["true_up"] = x.choice(["year", "none"])
    if x.random() < 0.35:  # a clawback (T12, T14); without triggers it covers every result
        if x.random() < 0.7:
            measures[0]["basis"] = x.choice(["booking", "booking", "invoice", "cash"])
        plan["clawback"] = {"days": x.choice([60, 90, 100, 120, 180, 400])}
        if x.random() < 0.7:
            plan["clawback"]["triggers"] = x.sample(TRIGGERS, x.randint(1, 3))
    if x.random() < 0.15:
        plan["holdback"] = {"share": "20%", "days": x.choice([90, 120])}
    if x.random() < 0.25:  # days away from billable work (Q14)
        plan["time_required"] = [{"activity": "training", "days": x.choice([5, 15, 25, 40]),
                                  "department": x.choice(departments)}]


def _extend_department(x: random.Random, doc: dict[str, Any], dept: str, departments: list[str],
                       recorded: set[str]) -> None:
    """Targets (value, relative, phased), history, and assumptions with segments and windows."""
    plans = doc.get("plans", [])
    paid = {m["metric"]: m for plan in plans for m in plan["measures"]}
    if dept != departments[0] and x.random() < 0.25:
        doc["department"]["parent"] = departments[0]  # a line for V09, V17 and X17
    targets: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    if x.random() < 0.5:  # a money target, against last year's actual (V14, V17, H15, T08)
        metric = x.choice(MONEY_METRICS)
        target: dict[str, Any] = {"id": f"{dept}-{metric}", "metric": metric, "period": "FY2027"}
        if x.random() < 0.3:
            target["relative"] = {"to": "FY2026", "change": x.choice(["+8%", "-5%", "+15%"])}
        else:
            target["value"] = x.choice([8_000_000, 9_000_000, 10_500_000, 12_000_000])
        if x.random() < 0.5:
            target["kind"] = "quota"
            target["phasing"] = x.choice([["15%", "20%", "25%", "40%"], ["25%", "25%", "25%", "25%"]])
        targets.append(target)
        if x.random() < 0.6:
            history.append({"metric": metric, "period": "FY2026",
                            "actual": x.choice([9_600_000, 10_000_000, 11_000_000])})
        if x.random() < 0.5:
            split = x.choice([[1_500_000, 2_000_000, 2_000_000, 4_500_000], [2_400_000, 2_500_000, 2_500_000, 2_600_000]])
            history += [{"metric": metric, "period": f"FY2026-Q{q + 1}", "actual": a} for q, a in enumerate(split)]
    for metric, (arounds, _withins) in sorted(BAND_METRICS.items()):  # a figure beside a band (X17)
        if metric in paid and x.random() < 0.4:
            targets.append({"id": f"{dept}-{metric}", "metric": metric, "period": "FY2027",
                            "value": x.choice(arounds + [0.95 if metric == "utilisation_pct" else 90])})
    for plan in plans:  # what a participant achieved (H13)
        for m in plan["measures"]:
            if "threshold" in m and x.random() < 0.6:
                history.append({"plan": plan["id"], "metric": m["metric"], "period": "FY2026",
                                "actual": x.choice([90_000, 110_000, 130_000])})
    if dept != departments[0] and paid and x.random() < 0.2:  # recorded above (V09)
        metric = x.choice(sorted(paid))
        if metric not in recorded:  # one actual per owner, metric and period
            recorded.add(metric)
            history.append({"owner": departments[0], "metric": metric, "period": "FY2025", "actual": 0.5})
    if targets:
        doc["targets"] = targets
    if history:
        doc["history"] = history
    assumptions = doc.setdefault("assumptions", [])
    stated = {(a["name"], a.get("segment")) for a in assumptions}

    def assume(name: str, value: Any, segment: str | None = None) -> None:
        if (name, segment) not in stated:
            stated.add((name, segment))
            assumptions.append({"name": name, "value": value} | ({"segment": segment} if segment else {}))

    if x.random() < 0.35:  # Q01, Q02, Q15
        assume("win_rate", x.choice([0.2, 0.25, 0.3]), x.choice(SEGMENTS))
    if x.random() < 0.35:
        assume("avg_deal_size", x.choice([18_000, 40_000]), x.choice([None, *SEGMENTS]))
    if x.random() < 0.2:
        assume("mql_to_sql_rate", x.choice([0.3, 0.5]))
    if x.random() < 0.4:  # windows (T12, T14)
        assume("payment_terms_days", x.choice([30, 60, 90, 120]))
    if x.random() < 0.3:
        assume(x.choice(["contract_term_months", "return_window_days", "cancellation_window_days"]),
               x.choice([1, 12, 30, 120]))
    if x.random() < 0.2:  # X17, Q02 on a band metric
        assume("dpo", x.choice([30, 45, 60]))
    if not assumptions:
        del doc["assumptions"]


def _funnel(x: random.Random, files: dict[str, dict[str, Any]], departments: list[str]) -> None:
    """A lead dependency multiplied out against the consumer's new-business target (Q01, Q11)."""
    docs = {dept: files[f"{dept}.yml"] for dept in departments}
    consumers = [d for d, doc in docs.items() if any(t["metric"] == "new_business" for t in doc.get("targets", []))]
    if len(departments) < 2 or not consumers or x.random() >= 0.5:
        return
    consumer = x.choice(consumers)
    provider = x.choice([d for d in departments if d != consumer])
    docs[consumer].setdefault("dependencies", []).append(
        {"id": f"{consumer}-leads", "consumer": consumer, "provider": provider, "deliverable": "Qualified leads",
         "metric": "mql_count", "amount": x.choice([2000, 4000])})
    targets = docs[provider].setdefault("targets", [])
    if not any(t["metric"] == "mql_count" for t in targets):
        targets.append({"id": f"{provider}-mql_count", "metric": "mql_count", "period": "FY2027",
                        "value": x.choice([2000, 4000])})
    for name, value in [("mql_to_sql_rate", 0.5), ("win_rate", 0.25), ("avg_deal_size", 40_000)]:
        assumptions = docs[consumer].setdefault("assumptions", [])
        if not any(a["name"] == name and "segment" not in a for a in assumptions):
            assumptions.append({"name": name, "value": value})


def _crediting(x: random.Random, files: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Crediting rules over plans that pay the credited metric (Q12, Q13, X07)."""
    payers: dict[str, list[str]] = {}
    for doc in files.values():
        for plan in doc.get("plans", []):
            for m in plan["measures"]:
                payers.setdefault(m["metric"], []).append(plan["id"])
    rules = []
    for i, metric in enumerate(sorted(m for m, ps in payers.items() if len(ps) >= 2)):
        if x.random() >= 0.4:
            continue
        plans = x.sample(payers[metric], min(len(payers[metric]), x.randint(2, 3)))
        rule: dict[str, Any] = {"id": f"credit-{i}", "metric": metric, "deals": "Shared deals"}
        if x.random() < 0.3:
            rule["exclusive"] = True
            if x.random() < 0.5:
                rule["settled_by"] = "Deal registration."
            rule["credits"] = [{"plan": p} for p in plans]
        else:
            rule["credits"] = [{"plan": p} | ({"share": x.choice(["30%", "50%", "70%"])} if x.random() < 0.7 else {})
                               for p in plans]
            if x.random() < 0.4:
                rule["amount"] = 2_000_000
        rules.append(rule)
    return rules


def _day(rng: random.Random) -> datetime.date:
    return datetime.date(2027, 1, 1) + datetime.timedelta(days=rng.randrange(0, 540))


def random_org(seed: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    x = random.Random(f"orggen-fields-{seed}")  # the newer fields: the base organization stays the same
    files: dict[str, dict[str, Any]] = {}
    objectives = [
        {"id": o, "adopt": o, "lead": rng.random() < 0.7, "priority": i + 1}
        for i, o in enumerate(rng.sample(OBJECTIVES, rng.randint(1, 4)))
    ]
    milestones = [
        {"id": f"ms-{i}", "planned": (p := _day(rng)).isoformat(),
         "forecast": (p + datetime.timedelta(days=rng.choice([0, 0, 30, 120, 270]))).isoformat(),
         "confidence": rng.choice([0.4, 0.6, 0.8, 1.0])}
        for i in range(rng.randint(0, 2))
    ]
    organization: dict[str, Any] = {
        "organization": {"name": f"Random {seed}", "currency": "EUR", "fiscal_year": 2027,
                         "fiscal_year_start": "2027-01-01"},
        "objectives": objectives,
    }
    if rng.random() < 0.3:
        src, dst = rng.sample(METRICS, 2)
        organization["influences"] = [{"from": src, "to": dst, "sign": rng.choice("+-"), "confidence": 0.8,
                                       "lag": "0", "basis": "practitioner", "rationale": "Random test edge."}]
    for objective in objectives:
        if objective["adopt"] == "revenue-growth" and x.random() < 0.6:
            objective["target"] = "11%"  # V14, V17
        if x.random() < 0.3:
            objective["collaborative"] = True  # H11
    if x.random() < 0.3:
        organization["organization"]["working_days"] = x.choice([200, 215, 220])  # Q14
    files["organization.yml"] = organization
    departments = [f"dept-{i}" for i in range(rng.randint(1, 5))]
    recorded: set[str] = set()  # metrics with a history actual for departments[0] (V09)
    for dept in departments:
        doc: dict[str, Any] = {"department": {"id": dept, "name": dept.replace("-", " ").title()}}
        if milestones and dept == departments[0]:
            doc["milestones"] = milestones  # owned by the file's department
        plans = []
        for p in range(rng.randint(0, 2)):
            metrics = rng.sample(METRICS, rng.randint(1, 4))
            measures = [{"metric": m, "weight": rng.choice(WEIGHTS), "direction": rng.choice(["up", "down"])}
                        for m in metrics]
            plan: dict[str, Any] = {"id": f"{dept}-plan-{p}", "measures": measures}
            if rng.random() < 0.5:
                total = sum(m["weight"] for m in measures[:-1])
                if total < 1:
                    measures[-1]["weight"] = round(1 - total, 4)
            if rng.random() < 0.3:
                plan["levers"] = rng.sample(LEVERS, rng.randint(1, 2))
            if rng.random() < 0.3:
                plan["gates"] = [{"metric": rng.choice(METRICS), "minimum": 0.8}]
            _extend_plan(x, plan, departments)
            plans.append(plan)
        if plans:
            doc["plans"] = plans
        if rng.random() < 0.4:
            doc["definitions"] = [{"metric": "mql_count", "text": rng.choice(["Any inquiry.", "A qualified lead."])}]
        if rng.random() < 0.5:
            doc["assumptions"] = [{"name": "win_rate", "value": rng.choice([0.2, 0.25, 0.3])}]
        if milestones and rng.random() < 0.5:
            ms = rng.choice(milestones)["id"]
            doc["hires"] = [{"id": f"{dept}-hires", "role": "Specialist", "count": rng.randint(1, 5),
                             "start": _day(rng).isoformat(), "ramp_months": rng.choice([0, 3]), "contingent_on": ms}]
            doc["spend"] = [{"id": f"{dept}-spend", "purpose": "Launch", "amount": 100_000,
                             "from": _day(rng).isoformat(), "to": "2028-12-31", "contingent_on": ms}]
        if len(departments) > 1 and rng.random() < 0.4:
            provider = rng.choice([d for d in departments if d != dept])
            doc["dependencies"] = [{"id": f"{dept}-needs", "consumer": dept, "provider": provider,
                                    "deliverable": "Something", "metric": rng.choice(METRICS),
                                    "critical": rng.random() < 0.5}]
        _extend_department(x, doc, dept, departments, recorded)
        files[f"{dept}.yml"] = doc
    _funnel(x, files, departments)
    crediting = _crediting(x, files)
    if crediting:
        organization["crediting"] = crediting
    return files


def write_org(files: dict[str, dict[str, Any]], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sorted(files.items()):
        path = folder / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
