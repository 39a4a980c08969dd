"""A conversation as Markdown: each question, its passages quoted with their citations (no textual)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from config.settings import Settings, user_dir
from index.documents.read import display_path
from qa.passages import Answer, Citation
from qa.render import also_in, date_of, dated, headline, lead_line, read_as


def cite(citation: Citation) -> str:
    """`file:line` (`report.pdf:p3:12` for a page), as a person would type it to open the file."""
    return citation.label


def index_label(settings: Settings) -> str:
    """The index as a person names it: the server URL, or the folder relative to here."""
    return settings.index if settings.is_remote else display_path(settings.index)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def answer_markdown(answer: Answer) -> str:
    """One answer as Markdown: the question, then each passage quoted with its citation."""
    out = [f"## {answer.question.strip()}", ""]
    if answer.reworded:
        out += [f"*{_md_escape(read_as(answer))}*", ""]
    if said := headline(answer):
        out += [f"**{_md_escape(said)}**" if answer.abstained else f"*{_md_escape(said)}*", ""]
    if answer.timeline is not None:
        out += [f"**{_md_escape(lead_line(answer.timeline))}**", ""]
        for run in answer.timeline.runs:
            cited = ", ".join(f"{entry.date} · `{cite(entry.citation)}`" for entry in run.entries)
            out.append(f"- **{_md_escape(run.answer)}** — {cited}")
        out.append("")
    for passage in answer.passages:
        text, offsets = passage.readable()
        if offsets is not None and not answer.abstained:
            a, b = offsets
            quote = _md_escape(text[:a]) + "**" + _md_escape(text[a:b]) + "**" + _md_escape(text[b:])
        else:
            quote = _md_escape(text)
        # a list item on a line of its own (`Passage.readable`), kept by a Markdown hard break
        out.append("> " + "  \n> ".join(" ".join(line.split()) for line in quote.split("\n")))
        out.append("")
        source = f"— {_md_escape(passage.title)}, " if passage.title else "— "
        also = "".join(f"; {also_in(c)}`{cite(c)}`" for c in passage.also_in)
        if passage.dated is not None:
            also += f"; {_md_escape(dated(passage.dated))} (`{cite(passage.dated.citation)}`)"
        out += [f"{source}{date_of(passage.citation)} · `{cite(passage.citation)}`{also}", ""]
    for source in answer.stale:
        out += [f"*`{display_path(source)}` changed since it was indexed; passages no longer in it were left out.*", ""]
    return "\n".join(out)


def conversation_markdown(answers: Sequence[Answer], index: str, when: datetime) -> str:
    """The whole conversation over the index named `index`, exported at `when`."""
    head = [
        "# Questions to the documents",
        "",
        f"Index `{index}`, exported {when:%Y-%m-%d %H:%M}.",
        "",
    ]
    return "\n".join(head + [answer_markdown(a) for a in answers]).rstrip() + "\n"


def export_folder() -> Path:
    """Where the app's exports go: $XDG_DATA_HOME/qa/exports (~/.local/share/qa/exports)."""
    return user_dir("data") / "exports"


def export_path(folder: Path, when: datetime) -> Path:
    """A new file in `folder` for an export made at `when` (a second export in the same second
    gets a suffix, never overwrites)."""
    path = folder / f"qa-conversation-{when:%Y%m%d-%H%M%S}.md"
    suffix = 1
    while path.exists():
        suffix += 1
        path = folder / f"qa-conversation-{when:%Y%m%d-%H%M%S}-{suffix}.md"
    return path


def write_export(path: Path, answers: Sequence[Answer], index: str, when: datetime) -> None:
    """Write the conversation to `path` (made by `export_path`); OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(conversation_markdown(answers, index, when), encoding="utf-8")
