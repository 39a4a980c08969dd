"""Why a known question missed, in one line: what went wrong, and where its gold chunk ranked in
BM25, in dense search and after fusion, beside what the abstain threshold did."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evals import metrics
from evals.known import Asked, KnownQuestion, cited_place, shown
from qa.passages import Answer

RANK_LIMIT = 1000  # ranks beyond this are shown as ">1000"

if TYPE_CHECKING:
    from qa.engine import Assistant


# ---- why a question missed ----------------------------------------------------------------------
@dataclass(frozen=True)
class GoldPlace:
    """Where the best chunk of a question's gold sources ranked for its query."""

    chunk: str  # the chunk's id
    where: str  # file:line of the chunk
    holds_answer: bool  # whether the chunk's text holds a gold answer
    lexical: int | None  # rank among all chunks by BM25 (None: no query term in it, or beyond RANK_LIMIT)
    dense: int | None  # rank among all chunks by similarity (None: beyond RANK_LIMIT)
    fused: int | None  # rank after fusion (None: outside the BM25 and dense candidates)
    read: int  # how many fused chunks the assistant reads sentences from
    candidates: int  # how many chunks each retriever contributes to fusion


def locate_gold(assistant: Assistant, query: str, known: KnownQuestion) -> GoldPlace | None:
    """Where the gold sources' best chunk ranked in BM25, in dense search and after fusion."""
    from config.tuning import TUNED

    paths = list(known.paths)
    got = assistant.store.chunks.get(where={"source": {"$in": paths}}, include=["documents", "metadatas"])
    if not got["ids"]:
        return None
    limit = min(RANK_LIMIT, assistant.store.count())
    lexical = {key: rank for rank, (key, _) in enumerate(assistant.lexical.search(query, limit), start=1)}
    vector = assistant.encoder.encode([query])[0]
    dense = {key: rank for rank, (key, _) in enumerate(assistant.store.nearest(vector, limit), start=1)}
    retriever = assistant.retriever
    fused = {c.chunk.id: c.ranks.fused for c in retriever.search(query, k=2 * retriever.candidates, vector=vector)}
    chunks = [
        (key, text, meta) for key, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    holding = [c for c in chunks if metrics.holds_answer(c[1], known.answers)]
    pool = holding or chunks
    unranked = 10**9

    def order(chunk: tuple[str, str, dict]) -> tuple[int, int, int]:  # type: ignore[type-arg]
        key = chunk[0]
        return (fused.get(key, unranked), lexical.get(key, unranked), dense.get(key, unranked))

    key, _, meta = min(pool, key=order)
    return GoldPlace(
        chunk=key,
        where=f"{shown(meta['source'], known.base)}:{meta['line']}",
        holds_answer=bool(holding),
        lexical=lexical.get(key),
        dense=dense.get(key),
        fused=fused.get(key),
        read=TUNED.sentence_pool,
        candidates=retriever.candidates,
    )


def _rank(rank: int | None, missing: str) -> str:
    return f"#{rank}" if rank is not None else missing


def _first(answer: Answer, base: Path) -> str:
    if not answer.passages:
        return "no passage"
    citation = answer.passages[0].citation
    return f"passage 1 is {shown(citation.path, base)}:{cited_place(citation)}"


@dataclass(frozen=True)
class Miss:
    """Why one question missed: a cause (retrieval, passage choice, ...) and the line that explains it."""

    id: str
    cause: str
    line: str

    def __str__(self) -> str:
        return self.line


def explain_miss(asked: Asked, threshold: float, assistant: Assistant, k: int) -> Miss | None:
    """Why a question missed (None when it did not): what went wrong, where its gold chunk ranked in
    BM25, in dense search and after fusion, and what the abstain threshold did, in one line."""
    known, answer = asked.known, asked.answer
    abstained = asked.abstains(threshold)
    if abstained and asked.withheld_anyway:
        verdict = f"abstained whatever the threshold (no passage, or another rule; confidence {answer.confidence:.3f})"
    elif abstained:
        verdict = f"abstained (confidence {answer.confidence:.3f} < threshold {threshold:.3f})"
    else:
        verdict = f"not abstained (confidence {answer.confidence:.3f} ≥ threshold {threshold:.3f})"
    first = _first(answer, known.base)
    label = f"{known.id}: "
    if answer.query != known.question:
        label += f"(read as \"{answer.query}\") "

    def miss(cause: str, text: str) -> Miss:
        return Miss(known.id, cause, f"{label}[{cause}] {text}")

    if asked.citation_problems:
        return miss("citation", "; ".join(asked.citation_problems))
    if not known.answerable:
        return None if abstained else miss("answered the unanswerable", f"{first}; {verdict}")
    rank = metrics.answer_rank(asked.outcome(threshold), k)
    if rank == 1:
        return None if not abstained else miss("abstained", f"passage 1 holds the answer, but {verdict}")
    found = "answer in " + (f"passage {rank}, not 1" if rank else f"none of the {len(answer.passages)} passages")
    place = locate_gold(assistant, answer.query, known)
    if place is None:
        return miss("not indexed", f"{found}; no chunk of {', '.join(known.sources)} is in the index; {verdict}")
    ranks = (
        f"BM25 {_rank(place.lexical, 'no match')}, dense {_rank(place.dense, f'beyond #{RANK_LIMIT}')}, "
        f"fused {_rank(place.fused, f'outside the {place.candidates}+{place.candidates} candidates')}"
    )
    if not place.holds_answer:
        return miss("no chunk holds an answer", f"{found}; no chunk of the gold sources holds an answer string; "
                                                f"best gold chunk {place.where}: {ranks}; {verdict}")
    if place.fused is None or place.fused > place.read:
        return miss("retrieval", f"{found}; answer chunk {place.where} not among the {place.read} chunks read: "
                                 f"{ranks}; {verdict}")
    return miss("passage choice", f"{found}; answer chunk {place.where} was read ({ranks}) but {first}; {verdict}")

