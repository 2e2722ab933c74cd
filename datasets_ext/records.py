"""The records of our datasets; each carries its language, so runs of several languages mix.

No ``from __future__ import annotations`` here: PyTerrier's text loader reads the field types
from ``__annotations__`` and needs real ``str`` objects, not strings.
"""

from typing import NamedTuple


class LangQuery(NamedTuple):
    """A query in one language; ``query_id`` is ``{lang}:{original id}``."""
    query_id: str
    text: str
    lang: str

    def default_text(self) -> str:
        return self.text


class LareqaDoc(NamedTuple):
    """A candidate answer: one sentence of a paragraph."""
    doc_id: str
    text: str
    lang: str
    context: str
    title: str

    def default_text(self) -> str:
        """The sentence alone (the LAReQA setting); ``context`` holds the paragraph."""
        return self.text


class MiraclLangDoc(NamedTuple):
    """A MIRACL passage with its language."""
    doc_id: str
    title: str
    text: str
    lang: str

    def default_text(self) -> str:
        return f"{self.title} {self.text}"
