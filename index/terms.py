"""The BM25 terms of texts, remembered: one `TermCache` per assistant, shared by its retriever and
its answerer, so that a text read by both is tokenized once, and many texts in one tokenizer call."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from index.lexical import tokenize, version_prefixes

MAX_REMEMBERED_TEXTS = 500_000
# A number as written, whole: a year, a count, a version ("3.8.12", "v2.1"). A number matches only itself
# (`numbers_said`): "3.12" is not in "3.8.12", nor "2" in "2.100".
NUMBER_TOKEN = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)*)(?![\w]|\.\d)")


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


def numbers_in(text: str) -> list[str]:
    """The numbers `text` names, each whole (`NUMBER_TOKEN`), in order, each once."""
    return list(dict.fromkeys(NUMBER_TOKEN.findall(text)))


def numbers_said(text: str) -> set[str]:
    """The numbers a question's number may be to be said in `text`: each number whole, and the versions a
    dotted one is a release of ("curl 7.88" is said by "7.88.1"; "3.12" is not by "3.8.12")."""
    return {prefix for number in NUMBER_TOKEN.findall(text) for prefix in version_prefixes(number)}


def normal_words(text: str) -> str:
    """Lower-cased words without accents ("Fernández" and "Fernandez" are the same name)."""
    plain = text.lower()
    if not plain.isascii():  # (an ASCII text, most of them, has no accent to take off)
        plain = "".join(c for c in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", plain))
