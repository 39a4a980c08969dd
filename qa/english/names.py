"""What English writes around a name: the particles inside one ("Carlos Fernández de Cossío"), the titles
and offices before it ("Deputy Assistant Secretary ... Alex Lee"), the function words that are capitalised
only because they open a sentence, and the prepositions that lead to a place. Written by us from English
usage, general: no entry names a thing of a corpus or question set. Which runs are people, not things
("... University", "World Cup"), the English model says (`index.parses`, the PERSON entities), or else
WordNet (`qa.lexicon`: a run of common words is a thing); the hand list that did it is gone."""

from __future__ import annotations

import re

CONNECTORS = {"de", "del", "la", "le", "van", "von", "der", "da", "di", "dos", "bin", "al", "y", "of"}
# Titles and offices that stand before a name ("Deputy Assistant Secretary ... Alex Lee"). What an
# office is of ("Secretary of Homeland Security", "Director of Football Operations") is found by
# rule, not listed: see `_strip_offices`.
OFFICE_WORDS = {
    "president", "vice", "minister", "secretary", "deputy", "assistant", "principal", "director", "general",
    "ambassador", "senator", "governor", "representative", "chairman", "chair", "chief", "head", "officer",
    "spokesperson", "spokesman", "spokeswoman", "affairs", "bureau", "department", "ministry", "office",
    "division", "state", "foreign", "mr", "mrs", "ms", "dr", "prof", "sir", "dame", "judge", "justice",
    "king", "queen", "prince", "princess", "pope", "commander", "captain", "colonel", "lieutenant",
    "sergeant", "admiral", "mayor", "council", "committee", "agency", "administration", "undersecretary",
    "cabinet",
}

# English function words that are capitalised only because they open a sentence or a clause: "For Flask
# there is ...", "When Alex Lee arrived ..." name no "For Flask" or "When Alex Lee".
OPENING_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will",
    "with", "when", "whenever", "after", "before", "while", "although", "though", "during", "since", "until",
    "because", "unless", "once", "where", "from", "under", "over", "upon", "about", "like", "unlike", "both",
    "each", "every", "all", "some", "many", "most", "his", "her", "its", "our", "my", "your", "we", "he", "she",
    "i", "you", "those", "what", "which", "who", "how", "why", "also", "however", "meanwhile", "here", "yet", "so",
    "nor"
})

PLACE_LEAD = re.compile(r"\b(?:in|at|to|from|near|outside|inside|across|into|through|throughout|via|within)\s+"
                         r"(?:the\s+)?$", re.IGNORECASE)
