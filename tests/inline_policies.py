"""Small policies the CLI tests share, written inline so each test reads on its own page."""
from __future__ import annotations

#: No finding at any severity: a plain sales plan.
CLEAN = """\
departments:
  - {id: sales, name: Sales}
plans:
  - id: sales-ae
    department: sales
    measures:
      - {metric: bookings, weight: 70%}
      - {metric: gross_margin_pct, weight: 30%}
"""
#: The organization of the conflict below: a gross-margin objective, accounts payable and sales.
ORGANIZATION = """\
objectives:
  - {id: gross-margin, adopt: gross-margin}
departments:
  - {id: accounts-payable, name: Accounts payable}
  - {id: sales, name: Sales}
"""
#: Accounts payable paid to stretch payables (DPO up), its own file in the baseline story.
AP_PLAN = """\
plans:
  - id: ap-team
    department: accounts-payable
    measures:
      - {metric: dpo, weight: 70%, direction: up}
      - {metric: invoice_cycle_time, weight: 30%, direction: down}
"""
#: One error finding: V03 (accounts payable paid to stretch payables, losing early-payment discounts,
#: against gross margin: two strong links).
CONFLICT = ORGANIZATION + AP_PLAN + """\
  - id: sales-ae
    department: sales
    measures:
      - {metric: project_margin_pct, weight: 100%, direction: up}
"""
