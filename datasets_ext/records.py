"""The query record shared by every family: its language is a field, so runs of several languages mix."""
from __future__ import annotations

from typing import NamedTuple


class LangQuery(NamedTuple):
    """A query in one language; ``query_id`` is ``{lang}:{original id}``."""
    query_id: str
    text: str
    lang: str

    def default_text(self) -> str:
        return self.text
