"""Ranking logic: fusion against a slow reference, exact orders with a deterministic fake embedder,
answer-type spans on hand-written sentences, follow-ups, and corroboration on the real corpus."""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from config.settings import Settings
from index.documents.sentences import split_sentences
from index.encoder_protocol import SentenceEncoder
from index.ingest import embedding_text, ingest
from index.terms import TermCache
from qa.answer_types import AnswerType, answer_span, answer_type, without_type_words
from qa.conversation import Conversation, is_follow_up, resolve_query, typed_question
from qa.engine import Assistant
from qa.render import caution_line, lacks
from qa.retrieve import FUSION_METHODS, Rerank, fuse, sentence_match

terms = TermCache()  # the BM25 terms, as an assistant reads them


# ---- fusion against a brute-force reference ------------------------------------------------------
def _reference(lexical: list[float], dense: list[float], weight: float, method: str, k: float = 60.0) -> list[float]:
    """Fusion written out the slow, obvious way."""

    def scale(values: list[float]) -> list[float]:
        n = len(values)
        if method == "zscore":
            mean = sum(values) / n
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
            return [(v - mean) / std if std > 0 else 0.0 for v in values]
        if method == "minmax":
            low, high = min(values), max(values)
            return [(v - low) / (high - low) if high > low else 1.0 for v in values]
        if method == "max":
            high = max(values)
            return [v / high if high > 0 else 1.0 for v in values]
        # rrf: rank 1 = highest, ties share the better rank
        return [1.0 / (k + 1 + sum(1 for w in values if w > v)) for v in values]

    lex, den = scale(lexical), scale(dense)
    return [weight * d + (1 - weight) * x for x, d in zip(lex, den, strict=True)]


@pytest.mark.parametrize("method", FUSION_METHODS)
def test_fusion_equals_slow_reference(method: str) -> None:
    rng = np.random.default_rng(7)
    for trial in range(50):
        n = int(rng.integers(1, 40))
        lexical = np.round(rng.exponential(3.0, n), 2) * (rng.random(n) > 0.2)
        dense = np.round(rng.uniform(-0.2, 0.9, n), 3)
        weight = float(rng.uniform(0, 1))
        got = fuse(lexical, dense, weight, method, rrf_k=10.0)
        want = _reference(lexical.tolist(), dense.tolist(), weight, method, k=10.0)
        assert np.allclose(got, want), (method, trial)


def test_zscore_fusion_lets_a_strong_dense_match_overtake_a_weak_lexical_lead() -> None:
    # chunk 0 leads BM25 narrowly, chunk 1 leads dense by far: z-scoring weighs the margins
    lexical = np.array([10.0, 9.5, 2.0, 1.0])
    dense = np.array([0.30, 0.80, 0.25, 0.20])
    assert list(np.argsort(-fuse(lexical, dense, 0.5))) == [1, 0, 2, 3]
    assert list(np.argsort(-fuse(lexical, dense, 0.0))) == [0, 1, 2, 3]


def test_sentence_match_counts_one_sentence_not_the_whole_chunk() -> None:
    idf = {"river": 2.0, "flood": 3.0, "1998": 4.0}.get
    query = ["river", "flood", "1998"]
    together = [["river", "flood", "1998", "valley"], ["farmer"]]
    spread = [["river", "valley"], ["flood"], ["1998"]]
    assert sentence_match(query, together, lambda t: idf(t, 1.0)) == (1.0, 1.0)
    coverage, pairs = sentence_match(query, spread, lambda t: idf(t, 1.0))
    assert coverage == pytest.approx(4.0 / 9.0) and pairs == 0.0


# ---- the retriever with a deterministic fake embedder -------------------------------------------
class WordHashEncoder(SentenceEncoder):
    """A stand-in for the sentence encoder: a bag of hashed words, so texts that share words are
    close. It implements `SentenceEncoder`, as `index.embedding.Encoder` does."""

    def __init__(self) -> None:
        self.model_name = "word-hash"
        self.backend = "word-hash"
        self.texts_encoded = 0

    @property
    def dimension(self) -> int:
        return 64

    @property
    def max_tokens(self) -> int:
        return 256

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in terms(text):
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def encode_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]],
                          batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.encode(texts), [self.encode([text[a:b] for a, b in ranges]) for text, ranges in
                                    zip(texts, parts, strict=True)]


FILES = {
    "flood.txt": "After weeks of heavy rain over the hills and farms, the river flooded the whole valley in 1998.\n",
    "wheat.txt": "Farmers in the valley planted wheat in spring and harvested the grain late in autumn.\n",
    "bridge.txt": "A new bridge over the river opened to traffic in 2004 and cut the journey to town.\n",
    "spread.txt": "The river is long, a slow river.\nA flood came, a great flood.\nIn 1998 people left.\n",
}


@pytest.fixture
def fake_assistant(tmp_path: Path) -> Assistant:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in FILES.items():  # one neutral title, so titles add no query words to any chunk
        (folder / name).write_text("# Notes\n\n" + text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"), model="word-hash")
    encoder = WordHashEncoder()
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder=encoder)


def _assistant_over(tmp_path: Path, encoder: SentenceEncoder, files: dict[str, str]) -> tuple[Assistant, Settings]:
    """An assistant over a folder of `files` (name: text), indexed with `encoder`, and its settings."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    return Assistant.open(settings, encoder=encoder), settings


def _names(candidates) -> list[str]:  # type: ignore[no-untyped-def]
    return [Path(c.chunk.source).name for c in candidates]


def test_hybrid_order_equals_fusion_of_exact_scores(fake_assistant: Assistant) -> None:
    retriever = fake_assistant.retriever
    retriever.rerank = Rerank(depth=0)
    query = "when did the river flood the valley"
    got = retriever.search(query, k=4)
    ids = retriever.lexical.ids
    lexical = retriever.lexical_scores(query)
    vector = fake_assistant.encoder.encode([query])[0]
    chunks = fake_assistant.store.get_chunks(ids)
    dense = fake_assistant.encoder.encode([embedding_text(chunks[i]) for i in ids]) @ vector
    pool = [i for i in range(len(ids))]  # four chunks: the whole corpus is the pool
    reference = _reference(lexical[pool].tolist(), dense[pool].tolist(), retriever.dense_weight, "zscore")
    # plus the z-scored similarity of each chunk's best sentence, each sentence encoded on its own
    best = [max(fake_assistant.encoder.encode([chunks[ids[i]].text[s.start : s.end]])[0] @ vector
                for s in split_sentences(chunks[ids[i]].text, 0, len(chunks[ids[i]].text))) for i in pool]
    mean, spread = float(np.mean(best)), float(np.std(best))
    reference = [r + retriever.sentence_weight * (b - mean) / spread for r, b in zip(reference, best, strict=True)]
    want = [Path(chunks[ids[i]].source).name for i in sorted(pool, key=lambda i: -reference[i])]
    assert retriever.sentence_weight > 0
    assert _names(got) == want
    assert _names(got)[0] == "flood.txt"


def test_rerank_prefers_the_chunk_that_says_it_in_one_sentence(fake_assistant: Assistant) -> None:
    query = "river flood 1998"
    plain = fake_assistant.retriever
    plain.rerank = Rerank(depth=0)
    plain.sentence_weight = 0.0  # the word-level re-scoring alone
    before = _names(plain.search(query, k=4))
    plain.rerank = Rerank()
    after = _names(plain.search(query, k=4))
    assert before.index("spread.txt") < before.index("flood.txt")  # BM25 + bag of words favour it
    assert after[0] == "flood.txt"


def test_modes_rank_by_their_own_scores(fake_assistant: Assistant) -> None:
    lexical = fake_assistant.retriever.search("wheat harvest", k=4, mode="lexical")
    assert _names(lexical) == ["wheat.txt"]  # only chunks that share a term
    assert lexical[0].ranks.lexical == 1
    dense = fake_assistant.retriever.search("bridge traffic town", k=4, mode="dense")
    assert _names(dense)[0] == "bridge.txt"
    assert [c.dense for c in dense] == sorted((c.dense for c in dense), reverse=True)


# ---- answer types and spans on hand-written sentences -------------------------------------------
@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the war end?", AnswerType.DATE),
        ("What year was the treaty signed?", AnswerType.DATE),
        ("How long ago was the accord signed?", AnswerType.DATE),
        ("How many people live there?", AnswerType.NUMBER),
        ("What percentage of voters turned out?", AnswerType.NUMBER),
        ("How long did the siege last?", AnswerType.NUMBER),
        ("Who wrote the report?", AnswerType.PERSON),
        ("Where was the meeting held?", AnswerType.PLACE),
        ("In which city did they meet?", AnswerType.PLACE),
        ("Which organization ran the program?", AnswerType.ORGANIZATION),
        ("Why did the talks fail?", AnswerType.OTHER),
        ("and since when has it applied?", AnswerType.DATE),
        ("the talks were suspended when?", AnswerType.DATE),
        # a "when" that opens a clause asks for no time
        ("What happens when the ice melts?", AnswerType.OTHER),
        ("When the company was sold, what was it called?", AnswerType.OTHER),
        # a version is a number ("Perl 5.10", "rustc 1.52.0"), not a name ("Python Package Index")
        ("Which version of Perl introduced the say function?", AnswerType.NUMBER),
        ("What is the latest version of pytz?", AnswerType.NUMBER),
        ("What does the new version do?", AnswerType.OTHER),
        # a default or a limit of a measure is a number; a release is a version
        ("What's the default busy timeout if I never set one?", AnswerType.NUMBER),
        ("What is the maximum recursion depth for a recursive CTE?", AnswerType.NUMBER),
        ("In which release did the unixepoch() function appear?", AnswerType.NUMBER),
        ("What is the default editor?", AnswerType.OTHER),
        # a command-line option ("-p", "--crate-name"); "what options ...?" asks for choices
        ("Which ssh option specifies the port?", AnswerType.OPTION),
        ("Which command-line flag tells rustdoc what the crate is named?", AnswerType.OPTION),
        ("What options does the new plan give tenants?", AnswerType.OTHER),
    ],
)
def test_answer_type_from_the_question_word(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


def test_a_default_asked_of_a_passage_without_a_number_is_cautioned(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    # a natural dev miss: "what's the default busy timeout?" was answered, uncautioned, by a passage that
    # names the timeout and says no value of it
    text = ("Busy handlers\n\nThe busy timeout handler sleeps and tries again while another connection holds a "
            "lock on the table.\n\nSet the busy timeout with the busy_timeout pragma or the C interface.\n")
    assistant, _ = _assistant_over(tmp_path, encoder, {"busy.txt": text})
    answer = assistant.ask("What's the default busy timeout if I never set one?", top_k=3)
    assert "holds no number" in answer.shortfall, answer.shortfall


def test_an_option_is_marked_not_the_command_it_is_given_to() -> None:
    # a user trial (the rustdoc book): the mark was "$ rustdoc src/lib.rs", the passage's code, not the flag
    question = "Which command-line flag tells rustdoc what the crate is named?"
    sentence = "To fix this, we can pass in a command-line flag: $ rustdoc src/lib.rs --crate-name docs"
    found = answer_span(question, sentence)
    assert found is not None and sentence[found.start : found.end] == "--crate-name"
    words = "A well-known e-mail - not -5 or a dash - names no option."
    assert answer_span("Which option names it?", words) is None


def test_a_version_is_marked_whole_and_the_words_around_it_stay_what_the_question_is_about() -> None:
    # a user trial: "What is the latest version of pytz?" marked "Python Package Index", with no caution
    question = "Which Python version added the walrus operator?"
    assert without_type_words(question).split() == ["Python", "version", "added", "the", "walrus", "operator?"]
    for sentence, answer in [("The walrus operator was added in Python 3.8.0 after a long debate.", "3.8.0"),
                             ("It shipped in v1.2.3 of the tool, and 12.5 percent of users updated.", "v1.2.3")]:
        found = answer_span("Which version shipped it?" if answer == "v1.2.3" else question, sentence)
        assert found is not None and sentence[found.start : found.end] == answer


@pytest.mark.parametrize(
    ("question", "sentence", "answer"),
    [
        ("When did the bridge open?", "The bridge opened on March 3, 1921, after four years of work.", "March 3, 1921"),
        ("How many workers built it?", "Some 2,400 workers built the bridge in four years.", "2,400"),
        ("Who designed the bridge?", "The bridge was designed by engineer Joseph Strauss.", "Joseph Strauss"),
        ("Who led the delegation?", "Vice Foreign Minister Carlos Fernández de Cossío led the delegation.",
         "Carlos Fernández de Cossío"),
        ("Where did the delegates meet?", "The delegates met in Geneva for three days.", "Geneva"),
        ("Which team won the final?", "The Denver Broncos beat the Carolina Panthers in the final.", "Denver Broncos"),
        ("How long did the strike last?", "The strike lasted 45 days in all.", "45"),
        ("How many boats sailed?", "On July 9, 2014, 12 boats sailed from the port.", "12"),
        ("When was the castle built?", "The castle was built in the 10th century by the duke.", "the 10th century"),
        ("When was the town sacked?", "Raiders sacked the town in 1331 and burned its walls.", "1331"),
        ("When did he die?", "He died at 2:45 a.m. in his sleep.", "2:45 a.m."),
        ("How long has the magazine run?", "It has been published since 1979 by the BBC.", "since 1979"),
        ("When was he detained?", "He was detained by the police in December.", "December"),
        ("Where did the migrants travel?", "The migrants travelled through Central America.", "Central America"),
        ("How often is the fair held?", "The fair has been held twice a year since 1950.", "twice a year"),
    ],
)
def test_answer_span_marks_the_answer(question: str, sentence: str, answer: str) -> None:
    span = answer_span(question, sentence)
    assert span is not None and sentence[span.start : span.end] == answer


def test_answer_span_skips_what_the_question_already_says_and_follows_its_words() -> None:
    sentence = "Alex Lee led the U.S. delegation in July 2014, and Josefina Vidal led the Cuban delegation."
    first = answer_span("who led the U.S. delegation in July 2014?", sentence, _spans(sentence, ["U.S.", "July"]))
    second = answer_span("who led the Cuban delegation?", sentence, _spans(sentence, ["Cuban"]))
    assert sentence[first.start : first.end] == "Alex Lee"  # type: ignore[union-attr]
    assert sentence[second.start : second.end] == "Josefina Vidal"  # type: ignore[union-attr]
    assert answer_span("when did it happen in 2014?", "It happened in 2014.") is None
    # a count is not answered by the year or day of a date
    assert answer_span("how many delegates met?", "The delegates met on July 9, 2014, in Geneva.") is None


def test_a_name_is_marked_without_the_word_that_opens_its_sentence() -> None:
    """"When Alex Lee arrived ..." names Alex Lee; "For Flask there is ..." names nobody (a one-word run)."""
    sentence = "When Alex Lee arrived in Havana, the talks began at once."
    found = answer_span("who arrived in Havana?", sentence, _spans(sentence, ["arrived"]))
    assert found is not None and sentence[found.start : found.end] == "Alex Lee"
    assert answer_span("who created Flask?", "For Flask there is flask-oauthlib and Flask-Dance.") is None

def test_a_run_of_common_words_names_a_thing_not_a_person() -> None:
    """"Open Skies Agreement" and "Grand Slam" are capitalised runs of words a dictionary lists in lower
    case: things, not people; a name of a person has a word no dictionary lists as a common word ("Vidal")."""
    from qa.answer_types import AnswerType, candidate_spans

    sentence = "Under the Open Skies Agreement, signed before the Grand Slam, Josefina Vidal led the talks."
    found = [sentence[s.start : s.end] for s in candidate_spans(AnswerType.PERSON, sentence)]
    assert found == ["Josefina Vidal"]


def test_the_name_whose_clause_says_what_was_asked_is_marked_past_the_words_about_who_it_is() -> None:
    """"Josefina Vidal of the U.S. Division of the Cuban Ministry ... led the Cuban delegation": what
    she did comes after what she is; the other name's clause says it led the discussions for the
    United States."""
    sentence = ("Deputy Assistant Secretary Alex Lee led the discussions for the United States; Director "
                "General Josefina Vidal of the U.S. Division of the Cuban Ministry of Foreign Affairs led the "
                "Cuban delegation.")
    focus = [span for word in ("led", "Cuban", "delegation") for span in _all_spans(sentence, word)]
    found = answer_span("who led the Cuban delegation in 2015?", sentence, focus)
    assert found is not None and sentence[found.start : found.end] == "Josefina Vidal"
    focus = [span for word in ("led", "discussions") for span in _all_spans(sentence, word)]
    found = answer_span("who led the discussions for the United States?", sentence, focus)
    assert found is not None and sentence[found.start : found.end] == "Alex Lee"


def _all_spans(text: str, word: str):  # type: ignore[no-untyped-def]
    from index.documents.lines import Span

    return [Span(m.start(), m.end()) for m in re.finditer(re.escape(word), text)]


def _spans(text: str, words: list[str]):  # type: ignore[no-untyped-def]
    from index.documents.lines import Span

    return [Span(text.index(w), text.index(w) + len(w)) for w in words]


# ---- follow-ups -----------------------------------------------------------------------------------
def test_follow_up_detection_and_query() -> None:
    assert is_follow_up("and the cuban side?", terms)
    assert is_follow_up("where was it held?", terms)
    assert is_follow_up("why?", terms)
    assert not is_follow_up("who led the us delegation at the july 2014 meeting?", terms)
    assert is_follow_up("how long had he been held by july 2014?", terms)  # a pronoun with no one named
    previous = "who led the us side in april 2022?"
    assert is_follow_up("who led the cubans?", terms, previous)  # short, shares "led", drops the date
    assert not is_follow_up("who led the cubans in 1994?", terms, previous)  # a date of its own
    assert not is_follow_up("what is the capital of france?", terms, previous)  # nothing shared
    history = ["who led the us delegation at the july 2014 meeting?"]
    query = resolve_query("and the cuban side?", history, terms)
    assert query.startswith("and the cuban side? and the cuban side?") and history[0] in query
    assert resolve_query("what is the capital of france?", history, terms) == "what is the capital of france?"


def test_answer_type_comes_from_the_follow_up_unless_it_has_no_question_word() -> None:
    history = ["who led the us delegation?"]
    assert answer_type(typed_question("where was it held?", history, terms)) is AnswerType.PLACE
    assert answer_type(typed_question("and the cuban side?", history, terms)) is AnswerType.PERSON


def test_conversation_on_the_corpus(assistant: Assistant) -> None:
    conversation = Conversation()
    turns = [
        ("who led the us delegation at the july 2014 meeting?", "Alex Lee"),
        ("and the cuban side?", "Josefina Vidal"),
        ("where was it held?", "Washington"),
    ]
    for question, expected in turns:
        answer = assistant.ask(question, conversation)
        assert expected in answer.passages[0].answer_text, (question, answer.passages[0].answer_text)
    assert len(conversation.turns) == 3 and conversation.turns[0].query == turns[0][0]


def test_a_follow_up_is_not_answered_with_the_answer_just_given(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """A follow-up asks for something new: the date just given is not given again, even from the
    sentence that matches the conversation best."""
    assistant, _ = _assistant_over(tmp_path, encoder, {"harbour.txt": (
        "# The harbour\n\nThe old harbour wall collapsed during a winter storm in 1987, and the harbour was "
        "closed to shipping for several years after the storm.\nThe harbour reopened in 1993 once the new "
        "wall was finished.\n")})
    conversation = Conversation()
    first = assistant.ask("when did the harbour wall collapse in the storm?", conversation)
    assert first.passages[0].answer_text == "1987"
    follow_up = assistant.ask("and when did it reopen?", conversation)
    assert follow_up.passages[0].answer_text == "1993", [p.text for p in follow_up.passages]
    alone = assistant.ask(conversation.turns[-1].query)  # the same search, outside the conversation
    assert alone.passages[0].answer_text == "1987"


def test_a_follow_up_is_answered_by_its_own_words_not_by_the_earlier_questions_when_were(assistant: Assistant) -> None:
    """"and when were they resumed?" after "when were talks suspended?": the sentence that says they
    were resumed comes first, not one that only shares "talks were" with the earlier question."""
    conversation = Conversation()
    assistant.ask("when were talks suspended?", conversation)
    first = assistant.ask("and when were they resumed?", conversation).passages[0]
    assert "resumed" in first.text and first.answer_text == "July 2009", first.text


def test_a_third_turn_does_not_show_again_what_the_first_turn_answered(assistant: Assistant) -> None:
    """Asked in one conversation after "when were talks suspended?" and "and when were they resumed?",
    "and who led the cuban side?" asks for a name: the sentence that answered the first turn, which
    names no one, is not among its cards."""
    conversation = Conversation()
    first = assistant.ask("when were talks suspended?", conversation).passages[0]
    assert first.answer_text == "2003"
    assistant.ask("and when were they resumed?", conversation)
    third = assistant.ask("and who led the cuban side?", conversation, top_k=3)
    shown = [(p.citation.path, p.citation.start, p.citation.end) for p in third.passages]
    again = (first.citation.path, first.citation.start, first.citation.end)
    assert again not in shown, [p.text for p in third.passages]


def test_a_date_without_a_year_comes_with_the_documents_own_date(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Said Tuesday" cannot be quoted as a date on its own: the card also cites the document's
    date line, verbatim; an answer that carries its year needs no such help."""
    folder = tmp_path / "docs"
    folder.mkdir()
    text = ("# Harbour news\n\nPortville, March 3, 2021\n\nThe town council met for three hours to "
            "argue about the cost of repairs to the sea wall and the car park.\n\nThe harbour master said "
            "Tuesday that the new pier will open to fishing boats before the summer season begins.\nThe old "
            "pier was built in 1962 and has been closed to all boats since the storm damaged it badly.\n")
    (folder / "harbour.txt").write_text(text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest([folder], settings, encoder)
    assistant = Assistant.open(settings, encoder=encoder)
    said = assistant.ask("when did the harbour master speak about the new pier?").passages[0]
    assert said.answer_text == "Tuesday"
    assert said.dated is not None and said.dated.text == "March 3, 2021"
    assert text[said.dated.citation.start : said.dated.citation.end] == "March 3, 2021"
    assert said.dated.citation.line == 3
    built = assistant.ask("when was the old pier built?").passages[0]
    assert built.answer_text == "1962" and built.dated is None


def test_a_question_whose_passage_holds_no_answer_of_its_kind_is_not_trusted(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"How many workers rebuilt the wall?" finds the sentence about the wall, but its only number
    is a year: that is no count, so the answer is far less sure than one that holds its count."""
    assistant, settings = _assistant_over(tmp_path, encoder, {"harbour.txt": (
        "# The harbour\n\nThe winter storm of 1987 sank 14 fishing boats that were moored inside the old "
        "harbour.\nThe harbour wall was rebuilt in 1993 after a long argument about who should pay for it.\n")})
    counted = assistant.ask("how many fishing boats sank in the storm?")
    assert counted.passages[0].answer_text == "14"
    uncounted = assistant.ask("how many workers rebuilt the harbour wall?")
    assert "rebuilt in 1993" in uncounted.passages[0].text and uncounted.passages[0].answer is None
    # given anyway (no threshold here), the answer says what to check; the counted one says nothing
    assert caution_line(uncounted) == "Check before quoting: the first passage holds no number."
    assert counted.shortfall.nothing and caution_line(counted) == ""
    assert uncounted.confidence < counted.confidence / 2, (uncounted.confidence, counted.confidence)
    # under a threshold between the two, the count is withheld and the reason named
    strict = Assistant.open(settings.replace(abstain_threshold=counted.confidence / 2), encoder=encoder)
    withheld = strict.ask("how many workers rebuilt the harbour wall?")
    assert withheld.abstained and lacks(withheld.shortfall) == "holds no number and does not mention “workers”"
    assert not strict.ask("how many fishing boats sank in the storm?").abstained



def test_a_year_the_passages_document_never_says_is_not_trusted(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"Why was the old pier rebuilt in 2004?" finds the pier's sentence, but the pier's document never
    says 2004 (another document does): it answers a question about another time, however well it reads."""
    assistant, settings = _assistant_over(tmp_path, encoder, {
        "pier.txt": "# The pier\n\nThe old pier was rebuilt in 1993 by the town council after a winter storm had "
                    "broken it in two.\n",
        "museum.txt": "# The museum\n\nThe town museum opened in 2004 in the old customs house by the harbour.\n"})
    said = assistant.ask("why was the old pier rebuilt in 1993?")
    other_time = assistant.ask("why was the old pier rebuilt in 2004?")
    assert "winter storm" in said.passages[0].text and "winter storm" in other_time.passages[0].text
    assert caution_line(other_time) == "Check before quoting: the first passage does not mention “2004”."
    assert other_time.confidence < said.confidence / 4, (other_time.confidence, said.confidence)
    strict = Assistant.open(settings.replace(abstain_threshold=said.confidence / 4), encoder=encoder)
    withheld = strict.ask("why was the old pier rebuilt in 2004?")
    assert withheld.abstained and lacks(withheld.shortfall) == "does not mention “2004”"
    assert not strict.ask("why was the old pier rebuilt in 1993?").abstained
    # what it lacks is quoted as the question spells it
    museum = strict.ask("why was the old pier rebuilt by the Town Museum in 2004?")
    assert museum.abstained and lacks(museum.shortfall) == "does not mention “Museum” or “2004”"


def test_an_item_of_release_notes_is_read_with_the_release_it_is_under(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Release notes list what changed under each release's heading: "which release dropped X?" is
    answered by the heading above the item, and a short item ("- First public release.") is indexed."""
    assistant, _ = _assistant_over(tmp_path, encoder, {"releases.txt": (
        "Harbourctl release notes\n\nHarbourctl opens and closes the gates of a small harbour.\n\n"
        'Harbourctl 3.0 "Tern" (2021-03-08)\n\n- Gate logs can be exported to spreadsheet files.\n'
        "- Dropped support for the serial port driver.\n\n"
        'Harbourctl 2.0 "Gull" (2019-09-30)\n\n- Gates close in the order the operator gave them.\n\n'
        'Harbourctl 1.0 "Auk" (2018-04-12)\n\n- First public release.\n')})
    dropped = assistant.ask("which release dropped the serial port driver?").passages[0]
    assert dropped.text.startswith('Harbourctl 3.0 "Tern" (2021-03-08)'), dropped.text
    assert dropped.text.endswith("Dropped support for the serial port driver."), dropped.text
    first = assistant.ask("when was the first public release of harbourctl?").passages[0]
    assert first.text == 'Harbourctl 1.0 "Auk" (2018-04-12)\n\n- First public release.', first.text
    assert first.answer_text == "2018-04-12"

# ---- corroboration ------------------------------------------------------------------------------
def test_agreeing_sources_fold_into_also_in(assistant: Assistant) -> None:
    answer = assistant.ask("who led cuba's delegation in the 2022 talks?")
    first = answer.passages[0]
    # the Cuban leader (not the U.S. one beside him in the sentence), named in full: the other
    # source spells him with accents and a second surname, and agrees all the same
    assert first.answer_text == "Carlos Fernandez de Cossio"
    sources = {first.citation.source, *(c.source for c in first.also_in)}
    assert {"2022-04-20-news-americas-migration-talks.txt", "2022-11-15-latina-republic-havana-talks.txt"} <= {
        Path(s).name for s in sources
    }
    assert all(p.text != first.text for p in answer.passages[1:])  # no near-repeat shown again


def test_a_source_about_another_year_does_not_corroborate(assistant: Assistant) -> None:
    """Alex Lee led the U.S. side in July 2014 and again in November 2015: the 2015 note says
    nothing of July 2014, so it is not cited as agreeing with the 2014 passage."""
    first = assistant.ask("who led the us delegation in july 2014?").passages[0]
    assert first.answer_text == "Alex Lee" and "2014" in first.text
    assert all("2015-12-01" not in c.source for c in first.also_in), first.also_in


def test_the_same_question_asked_again_is_not_read_as_a_follow_up(assistant: Assistant) -> None:
    conversation = Conversation()
    assistant.ask("when were talks suspended? ", conversation)
    again = assistant.ask("when were talks suspended?", conversation)
    assert again.query == again.question == "when were talks suspended?"


def test_a_sentence_that_introduces_a_list_brings_the_list_and_no_two_passages_overlap(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    from config.settings import Settings
    from index.ingest import ingest
    from qa.engine import Assistant

    source = Path(__file__).parent / "data" / "ch04-01-what-is-ownership.md"  # from The Rust Programming Language
    settings = Settings(index=str(tmp_path / "index"))
    ingest([source], settings, encoder)
    answer = Assistant.open(settings, encoder).ask("What are the ownership rules?", top_k=3)
    first = answer.passages[0]
    for rule in ("Each value in Rust has an owner.", "There can only be one owner at a time.",
                 "When the owner goes out of scope, the value will be dropped."):
        assert rule in first.text
    text = source.read_text(encoding="utf-8")
    spans = [(p.citation.start, p.citation.end) for p in answer.passages]
    assert all(p.text == text[p.citation.start : p.citation.end] for p in answer.passages)
    assert all(a_end <= b_start or b_end <= a_start for i, (a_start, a_end) in enumerate(spans)
               for b_start, b_end in spans[i + 1 :]), "no words shown twice"


def test_a_manual_answers_with_the_option_and_what_it_does(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    """A manual names each option on a line of its own above its description: the passage that answers
    shows both, the option first, however the question is worded."""
    from config.settings import Settings
    from index.ingest import ingest
    from qa.engine import Assistant

    source = Path(__file__).parent / "data" / "harbourctl.1.txt"
    settings = Settings(index=str(tmp_path / "index"))
    ingest([source], settings, encoder)
    assistant = Assistant.open(settings, encoder)
    first = assistant.ask("Which option shuts the gates?", top_k=3).passages[0]
    assert " ".join(first.text.split()).startswith("-c, --close Close the named gates")
    first = assistant.ask("how do I stop waiting for a gate that does not answer?", top_k=3).passages[0]
    assert " ".join(first.text.split()).startswith("-w, --wait=SECONDS Give up on a gate")


GLACIER_NOTES = {
    "alpine-field-notes.txt": (
        'Field notes from the Alpine valleys\n'
        '\n'
        'Glaciers carve valleys into a U shape as the ice grinds the valley floor and walls.\n'
        'The moving ice of a glacier plucks blocks of rock from the valley bed and carries them downstream.\n'
        'A glacier deepens its valley year after year by abrasion, scraping the rock with the debris frozen '
        'into its base.\n'
        'Where two glaciers met, the larger one carved the deeper valley and left the smaller one hanging above it.\n'
        'Glaciers carve cirques at the heads of valleys, where snow gathers and turns to ice.\n'
        'Glaciers carve valleys faster on steep slopes, where the ice moves quickly over the bed.\n'
        '\n'
        'Glaciers carve valleys deeper where the rock beneath them is soft and broken.\n'
        '\n'
        'Glaciers carve valleys wider when they grow in a cold century and push further down.\n'
        '\n'
        'In the Alps, glaciers carve valleys that rivers later fill with gravel and lakes.\n'
    ),
    "river-erosion.txt": (
        'How rivers and ice shape the land\n'
        '\n'
        'Rivers cut narrow V-shaped valleys, while glaciers widen and deepen valleys into broad troughs.\n'
    "Most of the sediment in a delta comes from the erosion of the river's own banks.\n"
    ),
    "fjords.txt": (
        'Fjords of Norway\n'
        '\n'
        'A fjord is a glacial valley that the sea flooded once the glacier that carved it had melted.\n'
        'The Sognefjord is more than 200 kilometres long and over 1,300 metres deep.\n'
    ),
    "coral-reefs.txt": (
        'Coral reefs\n'
        '\n'
        'Reef-building corals grow in warm, shallow water where sunlight reaches them.\n'
        'A reef grows a few millimetres a year as coral polyps lay down limestone.\n'
    ),
    "moraines.txt": (
        'Moraines\n'
        '\n'
        'A moraine is a ridge of rock and soil that a glacier pushed along and left at the edge of its valley.\n'
        'Moraines mark how far down the valley the ice once reached.\n'
    ),
}


def test_the_places_after_the_first_three_go_to_the_documents_the_retriever_ranks_first(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in GLACIER_NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest(sorted(folder.iterdir()), settings, encoder)
    assistant = Assistant.open(settings, encoder)
    question = "How do glaciers carve valleys?"
    found = list(dict.fromkeys(Path(c.chunk.source).name for c in assistant.retriever.search(question, k=8)))
    assert found[0] == "alpine-field-notes.txt"
    three = [Path(p.citation.path).name for p in assistant.ask(question, top_k=3).passages]
    five = [Path(p.citation.path).name for p in assistant.ask(question, top_k=5).passages]
    # the first three are the best passages, all of the field notes; the last two are not a fourth and
    # fifth passage of them but the documents the retriever found next
    assert three == ["alpine-field-notes.txt"] * 3
    assert five[:3] == three
    assert five[3:] == found[1:3]


def test_a_sentence_too_long_for_one_chunk_is_read_and_shown_by_its_pieces(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    # one "sentence" of some 1,900 characters, as a list of alumni with no full stop reads: ingest cuts
    # it into pieces, and each piece is read and quoted alone, not the whole list, nor nothing
    names = [f"{country} {office} {first} {last}" for country, office, first, last in (
        ("Chilean", "President", "Marta", "Oyarzun"), ("Colombian", "President", "Julio", "Restrepo"),
        ("Mexican", "President", "Andres", "Salinas"), ("Peruvian", "Minister", "Rosa", "Quispe"),
        ("Danish", "Prime Minister", "Lars", "Holm"), ("Greek", "Prime Minister", "Nikos", "Petrou"),
        ("Canadian", "Prime Minister", "Anne", "Gauthier"), ("Irish", "President", "Sean", "Byrne"),
        ("Kenyan", "Minister", "Grace", "Wanjiru"), ("Indian", "Minister", "Ravi", "Menon"),
        ("Japanese", "Minister", "Kenji", "Sato"), ("Polish", "President", "Jan", "Nowak"),
        ("Swedish", "Minister", "Eva", "Lind"), ("Spanish", "President", "Luis", "Ortega"),
        ("Portuguese", "President", "Joao", "Pires"), ("Dutch", "Minister", "Pieter", "Vos"),
        ("Ghanaian", "President", "Kofi", "Mensah"), ("Egyptian", "Minister", "Omar", "Fahmy"),
        ("Turkish", "Minister", "Emre", "Kaya"), ("Austrian", "Chancellor", "Anna", "Gruber"),
        ("Belgian", "Prime Minister", "Marc", "Peeters"), ("Czech", "President", "Petr", "Dvorak"),
        ("Finnish", "President", "Mika", "Virtanen"), ("Norwegian", "Prime Minister", "Ola", "Berg"),
        ("Argentine", "President", "Diego", "Fernandez"), ("Uruguayan", "President", "Pablo", "Vazquez"),
        ("Costa Rican", "President", "Jose", "Figueroa"), ("Bolivian", "President", "Ana", "Mamani"),
        ("Filipino", "Senator", "Maria", "Santos"), ("Nigerian", "Minister", "Chidi", "Okafor"),
    )]
    folder = tmp_path / "alumni"
    folder.mkdir()
    (folder / "alumni-in-politics.txt").write_text(
        "Alumni in politics\n\nPolitical leaders among the college's alumni: " + "; ".join(names) + "\n",
        encoding="utf-8")
    (folder / "college-history.txt").write_text(
        "A short history of the college\n\nThe college was founded in 1851 by a group of merchants. "
        "Its first president taught rhetoric and law. Many of its alumni went into politics.\n", encoding="utf-8")
    settings = Settings(index=str(tmp_path / "index"))
    ingest(sorted(folder.iterdir()), settings, encoder)
    answer = Assistant.open(settings, encoder).ask("Which Costa Rican president studied at the college?", top_k=3)
    first = answer.passages[0]
    text = (folder / "alumni-in-politics.txt").read_text(encoding="utf-8")
    assert first.citation.path.endswith("alumni-in-politics.txt")
    assert "Costa Rican President Jose Figueroa" in first.text
    assert first.text == text[first.citation.start : first.citation.end]
    assert len(first.text) < len(text) - 200, "a piece of the list, not the whole of it"


BOOK_SECTION = (  # a sentence about shadowing, and one that uses the word "what" beside it
    "Variables and Mutability\n\nShadowing\n\nShadowing lets you declare a new variable with the same name as a "
    "previous variable in the same scope.\n\nProgrammers say that the first variable is shadowed by the second, "
    "which means that the second variable is what the compiler will see when you use the name of the variable. In "
    "effect, the second variable overshadows the first, taking any uses of the variable name to itself until "
    "either it itself is shadowed or the scope ends.\n"
)



def test_what_is_x_is_answered_by_the_sentence_about_x(tmp_path, encoder) -> None:  # type: ignore[no-untyped-def]
    """"What is X?" is answered by the sentence about X, not by one that shares its "what"."""
    assistant, _ = _assistant_over(tmp_path, encoder, {"page.txt": BOOK_SECTION})
    first = assistant.ask("What is shadowing?", top_k=3).passages[0]
    assert first.text.startswith("Shadowing lets you declare a new variable")


def test_a_folder_or_a_web_address_answers_where() -> None:
    # "Where do I put local CA certificates?" is answered by a folder: it was no place, so the passage
    # went unmarked and was cautioned "holds no place" (a user trial on /usr/share/doc)
    from qa.answer_types import AnswerType, answer_span, candidate_spans

    text = ('If you want local certificate authorities to be trusted, put the certificate files ending with ".crt" '
            "into /usr/local/share/ca-certificates/ and re-run 'update-ca-certificates'.")
    found = answer_span("Where do I put local CA certificates so they are trusted?", text)
    assert found is not None and text[found.start : found.end] == "/usr/local/share/ca-certificates/"
    web = "The manual is online at https://web.mit.edu/kerberos/krb5-latest/doc/. It moved in 2019."
    assert [web[s.start : s.end] for s in candidate_spans(AnswerType.PLACE, web)] == [
        "https://web.mit.edu/kerberos/krb5-latest/doc/"]
    assert candidate_spans(AnswerType.PLACE, "Speeds of 30 km/h and/or 1/2 of the road.") == []


def test_what_does_a_command_do_is_answered_by_what_it_does(tmp_path: Path, encoder: SentenceEncoder) -> None:
    """grep's manual page as `man -P cat grep` prints it (GNU grep 3.8; GPL-3.0-or-later). "What does grep do?"
    was answered by "It is otherwise useful on terminals for which ... does not ...": the question's "does"
    and "do" counted as what it asks about, and "does" is rarer in a manual than "grep", which every chunk's
    title holds."""
    settings = Settings(index=str(tmp_path / "index"))
    ingest([Path(__file__).parent / "data" / "grep.1.txt"], settings, encoder)
    first = Assistant.open(settings, encoder).ask("What does grep do?", top_k=3).passages[0]
    assert "grep searches for PATTERNS in each FILE" in " ".join(first.text.split()), first.text


CHARTER = """                         Riverton Harbour Charter
                        Version 2.0, January 2004
                     http://riverton.example/charter/

   1. Definitions.

      "Harbour" shall mean the waters and quays within the breakwater, as shown on the map annexed to
      this Charter, together with the slipways and the fuel jetty.

   2. Mooring.

      Every vessel moored in the Harbour shall pay the fee the Board sets each year, and shall keep a
      watch aboard while the storm signal is flown.
"""


def test_a_name_said_only_in_a_line_left_out_is_not_called_unknown(tmp_path: Path, encoder: SentenceEncoder) -> None:
    """A licence's title block ("Version 2.0, January 2004") reads as no prose and is left out of the index;
    "which version was issued in January 2004?" was told "no document mentions “January”", which `qa show`
    disproved, and the charter was undated."""
    assistant, _ = _assistant_over(tmp_path, encoder, {"charter.txt": CHARTER})
    answer = assistant.ask("Which version of the Riverton Harbour Charter was issued in January 2004?")
    assert "January" not in answer.unknown and "no document mentions" not in lacks(answer.shortfall), answer.shortfall
    assert "January" not in lacks(answer.shortfall)  # the document's date line says it
    assert answer.passages and answer.passages[0].citation.date == "2004-01"
