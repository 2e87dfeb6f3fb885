"""Outputs: findings rendered as text, JSON, SARIF, JUnit, GitHub annotations, Markdown and the HTML report."""
