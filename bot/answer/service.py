"""Grounded answers with citations: retrieve, decide whether the base supports an answer, then answer or refuse."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.answer import extractive, grounding, question
from bot.answer.question import parse, resolve_follow_up
from bot.answer.types import AnswerResult, RetrievedChunk, Retriever
from bot.models import Citation
from bot.pii import mask
from bot.store.db import session_scope
from bot.store.tables import UnansweredQuestion

log = logging.getLogger(__name__)

TOP_K = 8
MAX_CITATIONS = 5


class DocumentSource(Retriever, Protocol):
    """A retriever that can also hand over all chunks of one document."""

    def document_chunks(self, doc_id: str) -> list[RetrievedChunk]:
        """Every chunk of a document, in document order."""
        ...

    def term_weight(self, token: str) -> float:
        """How distinctive a word is in the base (IDF)."""
        ...


class _Gateway(Protocol):
    @property
    def available(self) -> bool: ...

    def complete(self, prompt_name: str, /, **variables: object) -> str | None: ...


class Answerer:
    """Answers policy questions from the knowledge base, with the LLM when there is one."""

    def __init__(self, *, retriever: DocumentSource, gateway: _Gateway | None, db_url: str | None) -> None:
        self.retriever = retriever
        self.gateway = gateway
        self.db_url = db_url
        embedder = getattr(retriever, "embedder", None)
        if embedder is not None:
            question.use_embedder(embedder.embed_queries)

    def answer(self, question: str, *, history: list[str] | None = None,
               session_id: str | None = None, remember: bool = True) -> AnswerResult:
        """Answer `question`; `history` holds the session's earlier questions for follow-ups. With
        `remember=False` (an agent's call assist: the words are a caller's, pasted by staff) a question the
        base cannot support is not added to the admins' unanswered list."""
        query = resolve_follow_up(question.strip(), history or [])
        retrieved = self.retriever.search(query, top_k=TOP_K)
        decision = self.ground(query, retrieved)
        parsed = parse(query, rest=decision.rest, before=decision.before)
        log.info("answer %s: %s", "grounded" if decision.supported else "refused", mask(decision.reason))
        if not decision.supported or decision.doc_id is None:
            if remember:
                self._remember_unanswered(question, parsed.entity, decision, session_id)
            # No citations: a refusal must not list unrelated documents as if they were its basis.
            return AnswerResult(answer=refusal(parsed.entity), grounded=False, direct_reply=False,
                                citations=[], question_kind=parsed.kind)
        doc_chunks = self.retriever.document_chunks(decision.doc_id) or decision.chunks
        text, used = self._compose(query, history or [], parsed, doc_chunks, decision.chunks)
        return AnswerResult(answer=text, grounded=True, direct_reply=True,
                            citations=_citations(used, retrieved), question_kind=parsed.kind)

    def ground(self, query: str, retrieved: list[RetrievedChunk]) -> grounding.Grounding:
        """Does the base support an answer to `query` from these chunks (also the admins' hit testing)."""
        return grounding.decide(query, retrieved, weight=self.retriever.term_weight,
                                document=self.retriever.document_chunks,
                                titles=getattr(self.retriever, "nearest_titles", None))

    def _compose(self, query: str, history: list[str], parsed, doc_chunks: list[RetrievedChunk],  # noqa: ANN001
                 best_chunks: list[RetrievedChunk]) -> tuple[str, list[RetrievedChunk]]:
        if self.gateway is not None and self.gateway.available:
            passages = best_chunks[:4]
            generated = self.gateway.complete(
                "answer", question=query, history="\n".join(history[-3:]),
                passages=[f"{c.title}｜{' > '.join(c.heading_path)}\n{c.text}" for c in passages],
            )
            if generated:
                return generated.strip(), passages
        return extractive.answer(parsed, doc_chunks)

    def _remember_unanswered(self, question: str, entity: str, decision: grounding.Grounding,
                             session_id: str | None) -> None:
        if self.db_url is None:
            return
        with session_scope(self.db_url) as db:
            db.add(UnansweredQuestion(question=mask(question)[:2000], topic_key=(entity or question)[:200],
                                      session_id=session_id, best_doc_id=decision.doc_id,
                                      best_score=round(decision.dense, 4)))


def refusal(entity: str) -> str:
    """An honest "not in the base", with the next step; no neighbouring document is offered as an answer."""
    about = f"关于“{entity[:30]}”的" if entity else "这方面的"
    return (f"抱歉，政策知识库中暂时没有{about}可靠信息，我不能凭猜测回答。您可以：\n"
            "1. 回复“我要反映”登记诉求，由相关部门跟进答复；\n"
            "2. 回复“转人工”由人工客服为您解答；\n"
            "也可直接拨打 12345 热线。")


def _citations(used: list[RetrievedChunk], retrieved: list[RetrievedChunk]) -> list[Citation]:
    """The chunks the answer came from first, then the best chunk of each other relevant document."""
    # The answer's chunks come from the whole document; those that were also retrieved keep their score.
    scored = {c.chunk_id: c for c in retrieved}
    ordered = [scored.get(c.chunk_id, c) for c in used]
    docs = {c.doc_id for c in used}
    for chunk in retrieved:
        if chunk.doc_id not in docs:
            docs.add(chunk.doc_id)
            ordered.append(chunk)
    return [c.citation() for c in ordered[:MAX_CITATIONS]]
