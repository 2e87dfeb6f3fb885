"""Built-in declarative rules and knowledge base (data only; see engine/resources.py)."""
