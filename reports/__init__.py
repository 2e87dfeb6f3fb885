"""Built-in Jinja report templates (data only; see engine/outputs/render.py)."""
