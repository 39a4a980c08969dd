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

WORD_LIST = Path(__file__).resolve().parent.parent / "models" / "wordnet" / "english.txt"  # common words
NAME_LIST = WORD_LIST.with_name("names.txt")  # names a dictionary lists too ("havana", "linux")
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
def common_words() -> frozenset[str]:
    """The common words (read once), with English function words, which WordNet leaves out ("the", "how")."""
    return frozenset(WORD_LIST.read_text(encoding="utf-8").split()) | english_stopwords(plus=True)


@cache
def english_words() -> frozenset[str]:
    """The common words and the names a general dictionary lists (read once)."""
    return common_words() | frozenset(NAME_LIST.read_text(encoding="utf-8").split())


def is_english(word: str) -> bool:
    """Whether `word` (any case) is an English word of WordNet, a common word or a name it lists ("havana"),
    itself or by a detachment rule."""
    return _listed(word, english_words())


def is_common_word(word: str) -> bool:
    """Whether `word` (any case) is a common English word ("accord", "bowl", "lee"; not "havana")."""
    return _listed(word, common_words())


def _listed(word: str, words: frozenset[str]) -> bool:
    lowered = CLITIC.sub("", word.lower().replace("’", "'"))
    if lowered.endswith("n't"):  # "isn't", "can't", "won't"
        return True
    if "-" in lowered.strip("-"):  # "re-sending", "top-level", "mid-2015": each part
        return all(part.isdigit() or _in_list(part, words) for part in lowered.split("-") if part)
    return _in_list(lowered, words)


def _in_list(lowered: str, words: frozenset[str], prefixed: bool = True) -> bool:
    if lowered in words or any(lowered.endswith(ending) and lowered[: len(lowered) - len(ending)] + replacement in words
                               for ending, replacement in DETACHMENTS if len(lowered) > len(ending) + 1):
        return True
    return prefixed and any(lowered.startswith(prefix) and len(lowered) - len(prefix) >= 4
                            and _in_list(lowered[len(prefix):], words, prefixed=False) for prefix in PREFIXES)
