"""Findings: what the rules matched, as findings, with waivers, baselines and year-over-year comparison."""
