"""Built-in templates as Jinja compiles them (render.PRECOMPILED); generated, never edited."""
