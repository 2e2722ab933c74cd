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


def candidate_text(doc, with_context: bool = False) -> str:
    """The text a candidate is encoded (and trained) as, one rule for training and evaluation alike: a LAReQA
    sentence, or with context the sentence, a blank line, then its paragraph; other documents (MIRACL
    passages) give their ``default_text()``."""
    if not isinstance(doc, LareqaDoc):
        return doc.default_text()
    return f"{doc.text}\n\n{doc.context}" if with_context else doc.text
