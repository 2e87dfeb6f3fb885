"""Random organizations for differential and property-based tests.

Each organization is a set of policy files (file name -> YAML data) built from
a seed: a few adopted objectives, departments with plans of random measures
and weights (sometimes not adding up), diverging definitions and assumptions,
milestones with contingent hires and spend, dependencies, and sometimes an
influence edge of its own. Everything it writes is valid policy language, so
every run reaches the rules engine.
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


def _day(rng: random.Random) -> datetime.date:
    return datetime.date(2027, 1, 1) + datetime.timedelta(days=rng.randrange(0, 540))


def random_org(seed: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
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
    files["organization.yml"] = organization
    departments = [f"dept-{i}" for i in range(rng.randint(1, 5))]
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
        files[f"{dept}.yml"] = doc
    return files


def write_org(files: dict[str, dict[str, Any]], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sorted(files.items()):
        path = folder / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
