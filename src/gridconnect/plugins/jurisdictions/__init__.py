"""Built-in jurisdiction plugins. Only the national floor lives in the core."""
