"""``gridconnect serve``: the rules over HTTP (Litestar on uvicorn).

The JSON API answers with the same bytes as the CLI; ``/openapi.json`` describes it from the
published JSON Schemas; ``/`` is a page for policy staff. See the how-to *Serve the rules over
HTTP* (``docs/howto/serve.rst``).
"""

from __future__ import annotations

from gridconnect.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig | None = None) -> object:
    """The ASGI application for ``config`` (see :func:`gridconnect.serve.app.create_app`)."""
    from gridconnect.serve.app import create_app as create

    return create(config)
