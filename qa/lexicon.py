"""English words, from WordNet 3.0 (models/wordnet/, made by `python -m evals.wordnet_data`): a question's
word that no document holds is a name when it is no English word ("wireguard", "fread", "tarball"),
whatever its capitalisation, and may be a paraphrase when it is one ("undo", "empty").

A word is English when it, or its base form by WordNet's own detachment rules (morphy: "clustering" ->
"cluster", "cards" -> "card", "biggest" -> "big") or without an adverb's "-ly" or a prefix ("mistype"),
is in the list; irregular forms ("ran") are listed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from index.lexical import english_stopwords

WORD_LIST = Path(__file__).resolve().parent.parent / "models" / "wordnet" / "english.txt"
# WordNet's detachment rules (morphy, wnintro(7) "Morphy"), all parts of speech together: (ending, replacement);
# and an adverb's "-ly", which WordNet lists for few adverbs ("recursively", "alphabetically", "happily")
DETACHMENTS = (
    ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
    ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
    ("er", ""), ("est", ""), ("er", "e"), ("est", "e"), ("ly", ""), ("ily", "y"), ("ally", ""),
)
# English prefixes that make a word of a word ("mistype", "unpack", "re-sent"), tried when the rest has 4
# letters or more
PREFIXES = ("re", "un", "mis", "non", "pre", "de", "dis", "over", "under", "sub", "multi", "inter", "co")


CLITIC = re.compile(r"(?:'s|'re|'ll|'ve|'d|'m|')$")  # "what's", "rsync's", "users'"


@cache
def english_words() -> frozenset[str]:
    """The word list (read once), with English function words, which WordNet leaves out ("the", "how")."""
    return frozenset(WORD_LIST.read_text(encoding="utf-8").split()) | english_stopwords(plus=True)


def is_english(word: str) -> bool:
    """Whether `word` (any case) is an English word of WordNet, itself or by a detachment rule."""
    lowered = CLITIC.sub("", word.lower().replace("’", "'"))
    if lowered.endswith("n't"):  # "isn't", "can't", "won't"
        return True
    if "-" in lowered.strip("-"):  # "re-sending", "top-level", "mid-2015": each part
        return all(part.isdigit() or _is_english_word(part) for part in lowered.split("-") if part)
    return _is_english_word(lowered)


def _is_english_word(lowered: str, prefixed: bool = True) -> bool:
    words = english_words()
    if lowered in words or any(lowered.endswith(ending) and lowered[: len(lowered) - len(ending)] + replacement in words
                               for ending, replacement in DETACHMENTS if len(lowered) > len(ending) + 1):
        return True
    return prefixed and any(lowered.startswith(prefix) and len(lowered) - len(prefix) >= 4
                            and _is_english_word(lowered[len(prefix):], prefixed=False) for prefix in PREFIXES)
