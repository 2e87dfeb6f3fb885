"""Commands: the command line and the commands built on the lint pipeline (simulate, init, test-rules)."""
