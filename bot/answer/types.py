"""What retrieval hands to answering, and what answering hands to the dialogue."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Citation


class RetrievedChunk(BaseModel):
    """A chunk of a knowledge-base document with its fused relevance score."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    doc_id: str
    title: str
    heading_path: list[str] = Field(default_factory=list)
    text: str
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None

    def citation(self) -> Citation:
        """This chunk as a citation."""
        heading = " > ".join(self.heading_path) or None
        return Citation(doc_id=self.doc_id, title=self.title, chunk_id=self.chunk_id, heading=heading,
                        score=round(self.score, 4))


class Retriever(Protocol):
    """Anything that ranks knowledge-base chunks for a query."""

    def search(self, query: str, *, top_k: int = 8) -> list[RetrievedChunk]:
        """The best chunks for `query`, most relevant first."""
        ...


class AnswerResult(BaseModel):
    """A grounded answer, or an honest refusal with the next step."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    grounded: bool
    direct_reply: bool
    citations: list[Citation] = Field(default_factory=list)
    question_kind: str | None = None
