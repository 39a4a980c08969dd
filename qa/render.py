"""Every English sentence about an answer, made once: the terminal, the app, the export, `qa mcp` and
the Python API's JSON all say an answer in these words (each front end adds only its own markup)."""

from __future__ import annotations

from dataclasses import asdict

from qa.answer_types import AnswerType
from qa.passages import Answer, Citation, Dated, Shortfall, Unmet
from qa.timeline import UNDATED, Timeline

# what follows the abstain line when there are passages: the closest, which do not answer
CLOSEST = "Closest passages, not an answer:"
NO_PASSAGES = "No passages found."
KIND_NOUNS = {AnswerType.DATE: "date", AnswerType.NUMBER: "number", AnswerType.PERSON: "name",
              AnswerType.PLACE: "place", AnswerType.ORGANIZATION: "organisation", AnswerType.OPTION: "option",
              AnswerType.OTHER: "answer"}


def quoted(words: tuple[str, ...]) -> str:
    """Words as a sentence names them: “a”, “a” or “b”, “a”, “b” or “c”."""
    marks = [f"“{word}”" for word in words]
    return marks[0] if len(marks) == 1 else ", ".join(marks[:-1]) + " or " + marks[-1]


def lacks(shortfall: Shortfall) -> str:
    """What a passage lacks, as read after "the closest passage": "holds no date and does not mention
    “2018”" ("" when nothing)."""
    parts = [f"holds no {KIND_NOUNS[shortfall.kind]}"] if shortfall.kind is not None else []
    if shortfall.words:
        parts.append("does not mention " + quoted(shortfall.words))
    if shortfall.unmet is not None:
        parts.append(unmet(shortfall.unmet))
    return " and ".join(parts)


def unmet(constraint: Unmet) -> str:
    """A constraint no passage satisfies, as read after "the closest passage": "says “Craig Kelley” led
    the U.S. delegation, and no passage of 2010 says who led the Cuban delegation"."""
    none = f"no passage {constraint.time + ' ' if constraint.time else ''}says who {constraint.asked}"
    if constraint.said:
        return f"says {constraint.said}{' at another time' if constraint.another_time else ''}, and {none}"
    return f"does not say who {constraint.asked}, and {none}"


def why(answer: Answer, passage: str) -> str:
    """Why an answer abstains, or what its first passage lacks: the names no document mentions, then
    what `passage` ("the closest passage", "the first passage") lacks ("" when nothing)."""
    parts = [f"no document mentions {quoted(answer.unknown)}"] if answer.unknown else []
    if not answer.shortfall.nothing:
        parts.append(f"{passage} {lacks(answer.shortfall)}")
    return "; ".join(parts)


def abstain_line(answer: Answer, closest: bool = True) -> str:
    """The one line that says the documents do not answer, and why; with `closest`, and passages to
    show, it ends by saying what follows."""
    reason = why(answer, "the closest passage")
    said = f"The documents do not answer this{': ' + reason if reason else ''}."
    return said + (f" {CLOSEST}" if closest and answer.passages else "")


def caution_line(answer: Answer) -> str:
    """For an answer that is given: what to check before quoting it ("" when nothing)."""
    reason = why(answer, "the first passage")
    return f"Check before quoting: {reason}." if reason else ""


def headline(answer: Answer) -> str:
    """The line above the passages: the abstain line, or the caution ("" when neither is said)."""
    return abstain_line(answer) if answer.abstained else caution_line(answer)


def read_as(answer: Answer) -> str:
    """How a reworded question (a follow-up) was read ("" when as asked)."""
    return f"read as: {answer.query}" if answer.reworded else ""


def lead_line(timeline: Timeline) -> str:
    """The one line that opens a timeline."""
    latest = timeline.latest
    if timeline.present:
        return (f"As of {latest.date}, the latest document says {latest.answer}; "
                "earlier documents give other answers.")
    return (f"The documents give different answers at different dates; "
            f"the latest ({latest.date}) says {latest.answer}.")


def date_of(citation: Citation) -> str:
    """A cited document's date as shown: ISO at its precision, or "undated"."""
    return citation.date or UNDATED


def dated_label(citation: Citation) -> str:
    """The label after its document's date: `2022-04-20 · news.txt:12`, `undated · notes.txt:3`."""
    return f"{date_of(citation)} · {citation.label}"


def also_in(citation: Citation) -> str:
    """What comes before an agreeing source's label: "also in 2014-07 · "."""
    return f"also in {date_of(citation)} · "


def dated(date: Dated) -> str:
    """What comes before the citation of a passage's date line: "dated 30 November 2014"."""
    return f"dated {date.text}"


def answer_json(answer: Answer) -> dict[str, object]:
    """The answer in the documented JSON shape (offsets are character offsets)."""
    return {
        "question": answer.question,
        "query": answer.query,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "passages": [
            {
                "text": p.text,
                "source": p.citation.source,
                "line": p.citation.line,
                "page": p.citation.page,
                "date": p.citation.date,
                "start": p.citation.start,
                "end": p.citation.end,
                "score": round(p.score, 4),
                "title": p.title,
                "answer": None if p.answer is None else {"start": p.answer.start, "end": p.answer.end},
                "also_in": [{k: v for k, v in asdict(c).items() if k != "path"} for c in p.also_in],
                "dated": None if p.dated is None else {
                    "text": p.dated.text, **{k: v for k, v in asdict(p.dated.citation).items() if k != "path"}
                },
            }
            for p in answer.passages
        ],
        "stale": list(answer.stale),
        "shortfall": lacks(answer.shortfall) or None,
        "unknown": list(answer.unknown),
        "timeline": [] if answer.timeline is None else answer.timeline.to_json(),
        "timeline_lead": None if answer.timeline is None else lead_line(answer.timeline),
        "reader": answer.reader,
    }
