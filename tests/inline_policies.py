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


#: Sales' funnel: EUR 10.0M of new business on the 2,000 marketing-qualified leads marketing is to
#: deliver (2,000 x 50% x 25% x EUR 40,000 holds). The assumptions come last, so a test adds its own
#: segment or provider figures by appending list items (Q01, Q02, Q15, revenue at risk).
FUNNEL = """\
organization: {name: Example, currency: EUR, fiscal_year: 2027}
departments:
  - {id: sales, name: Sales}
  - {id: marketing, name: Marketing}
targets:
  - {id: new-business, owner: sales, metric: new_business, value: 10000000, period: FY2027}
  - {id: mqls, owner: marketing, metric: mql_count, value: 2000, period: FY2027}
dependencies:
  - {id: qualified-leads, consumer: sales, provider: marketing, metric: mql_count, amount: 2000}
assumptions:
  - {department: sales, name: mql_to_sql_rate, value: 50%}
  - {department: sales, name: win_rate, value: 25%}
  - {department: sales, name: avg_deal_size, value: 40000}
"""
