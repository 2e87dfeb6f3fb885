"""Evaluation: rules read, compiled for durable-rules and run over the facts."""
