"""The BM25 terms of texts, remembered: one `TermCache` per assistant, shared by its retriever and
its answerer, so that a text read by both is tokenized once, and many texts in one tokenizer call."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from index.lexical import tokenize

MAX_REMEMBERED_TEXTS = 500_000


class TermCache:
    """Each text's terms (stemmed, stop words out, as `index.lexical.tokenize` makes them).

    Called with one text it gives its terms; `prime` and `many` tokenize the texts not seen yet
    together, in one call. When it would hold more than `limit` texts it starts again empty."""

    def __init__(self, limit: int = MAX_REMEMBERED_TEXTS) -> None:
        self.limit = limit
        self._terms: dict[str, tuple[str, ...]] = {}

    def prime(self, texts: Iterable[str]) -> None:
        """Tokenize the texts not seen before, together in one call, and remember their terms."""
        new = [text for text in dict.fromkeys(texts) if text not in self._terms]
        if new:
            if len(self._terms) + len(new) > self.limit:
                self._terms.clear()
            self._terms.update(zip(new, map(tuple, tokenize(new)), strict=True))

    def many(self, texts: list[str]) -> list[list[str]]:
        """The terms of each text; the texts not seen before are tokenized together in one call."""
        self.prime(texts)
        return [list(self._terms[text]) for text in texts]

    def __call__(self, text: str) -> list[str]:
        """The terms of `text`."""
        found = self._terms.get(text)
        return list(found) if found is not None else self.many([text])[0]


def normal_words(text: str) -> str:
    """Lower-cased words without accents ("Fernández" and "Fernandez" are the same name)."""
    plain = text.lower()
    if not plain.isascii():  # (an ASCII text, most of them, has no accent to take off)
        plain = "".join(c for c in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", plain))
