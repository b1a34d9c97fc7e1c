"""Built-in plugins. Each subpackage is registered through the ``junheng`` entry-point
group in pyproject.toml and uses only the public hook API, exactly like a third-party plugin."""
