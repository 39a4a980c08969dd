"""A question as typed, made valid before it is asked: its bytes readable, not empty, not too long (the
app checks it as it is typed, the assistant as it is asked)."""

from __future__ import annotations

from config.errors import EmptyQuestion, QuestionTooLong


def checked_question(question: str) -> str:
    """`question` on one line, its runs of white space one space (raises EmptyQuestion without a
    letter or digit, QuestionTooLong over `QuestionTooLong.LIMIT` characters)."""
    question = " ".join(valid_text(question).split())
    if not any(ch.isalnum() for ch in question):
        raise EmptyQuestion()
    if len(question) > QuestionTooLong.LIMIT:
        raise QuestionTooLong(len(question))
    return question


def valid_text(text: str) -> str:
    """`text` with any lone surrogate (a byte that was not UTF-8, as Python decodes argv and stdin)
    replaced by U+FFFD, so that the tokenizer never meets one."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")  # the bytes as they came
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
