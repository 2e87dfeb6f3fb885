"""Built-in Jinja report templates (data only; see engine/render.py)."""
