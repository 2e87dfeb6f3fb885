"""One builder per policy section: each reads its items into the model and reports every problem."""
