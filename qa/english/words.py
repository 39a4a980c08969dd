"""Closed classes of English words: the wh-words that ask, the determiners, pronouns and auxiliaries that
say nothing of a topic. Closed classes by definition (any English grammar lists them whole: the Cambridge
Grammar of the English Language, ch. 5 and 6), written out as words, never as stems: code that needs
stems makes them with the index's own stemmer (`index.lexical.tokenize`)."""

from __future__ import annotations

# the interrogative words of English (what a question asks with)
WH_WORDS = ("what", "when", "where", "who", "whom", "whose", "which", "why", "how")
# "how many", "how much": the quantity a question asks for, not its topic
QUANTITY_WORDS = ("many", "much")
# articles, demonstratives and possessive determiners: they say which one, not what
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our",
                         "my", "your"})
# the forms of "do" that carry a question ("when did ...")
DO_FORMS = ("do", "does", "did")
# personal pronouns of the third person: they name someone or something said before
THIRD_PERSON_PRONOUNS = ("he", "she", "him", "his", "hers", "they", "them", "their", "it", "its")
# personal pronouns and the auxiliaries do, be, have and the modals: a question's grammar, not its topic
PRONOUNS = ("he", "she", "it", "they", "them", "him", "his", "her", "their", "we", "you", "i")
AUXILIARIES = ("did", "do", "does", "had", "has", "have", "been", "be", "is", "was", "were", "are", "am", "can",
               "could", "would", "should", "will")
# the short words of a question that name nothing: articles, common prepositions, "and"/"or", forms of be,
# do and have, and the wh-words
PLAIN_WORDS = frozenset({"the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "is", "was",
                         "were", "be", "been", "has", "had", *DO_FORMS, *WH_WORDS})
