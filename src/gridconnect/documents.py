"""Document kinds: what an application may be asked to provide."""

from __future__ import annotations

import attrs

from gridconnect.rules.model import Text

__all__ = ["DocumentKind"]


@attrs.frozen(kw_only=True)
class DocumentKind:
    """A kind of document (``property_certificate``), with its name in both languages."""

    id: str
    name: Text
