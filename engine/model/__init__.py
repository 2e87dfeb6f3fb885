"""Model: documents validated into the organization model (plans, measures, targets) and the metric knowledge base."""
