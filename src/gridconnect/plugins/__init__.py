"""How provinces, cities and districts publish their rules: the hook specifications, the
registry that loads and checks plugins, the helpers a packaged plugin is built from, the
national floor shipped with the core, and the scaffold of a new plugin."""
