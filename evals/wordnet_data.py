"""`python -m evals.wordnet_data`: the English word lists of `qa.lexicon`, made from WordNet 3.0.

WordNet comes from Debian's `wordnet-base` package (`apt-get install wordnet-base=1:3.0-37`, which puts
the database in /usr/share/wordnet). Every single-word lemma, lower-cased, goes to one of two lists:
models/wordnet/english.txt, the common words (written in lower case in some synset: "accord", "bowl",
"lee"), with the irregular forms of the exception lists ("ran" of "run") and the function words WordNet
has none of ("whose", "unless", "would": the Glasgow stop list, as scikit-learn ships it,
`ENGLISH_STOP_WORDS`); and models/wordnet/names.txt, the names a general dictionary lists, which WordNet
writes only capitalised ("havana", "american", "linux"). Not in either: "kerberos", "rsync", "tarball".
One word a line, sorted.

    python -m evals.wordnet_data [--wordnet DIR] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from qa.lexicon import WORD_LIST

WORDNET = Path("/usr/share/wordnet")
OUT = WORD_LIST.parent
PARTS = ("noun", "verb", "adj", "adv")
ADJECTIVE_MARK = re.compile(r"\([a-z]+\)$")  # "big(a)": an adjective's syntactic marker


def lemmas(wordnet: Path) -> tuple[set[str], set[str]]:
    """The single-word lemmas of WordNet's data files, lower-cased: those written in lower case in some
    synset (common words), and the others (names)."""
    common: set[str] = set()
    capitalised: set[str] = set()
    for part in PARTS:
        for line in (wordnet / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):  # the licence at the top of each file
                continue
            fields = line.split()
            for index in range(int(fields[3], 16)):
                word = ADJECTIVE_MARK.sub("", fields[4 + 2 * index])
                if "_" not in word:
                    (common if word == word.lower() else capitalised).add(word.lower())
    return common, capitalised - common


def irregular_forms(wordnet: Path, words: set[str]) -> set[str]:
    """The exception lists' inflected forms ("ran", "mice") of words in `words`."""
    forms: set[str] = set()
    for part in PARTS:
        for line in (wordnet / f"{part}.exc").read_text(encoding="latin-1").splitlines():
            form, *bases = line.split()
            if "_" not in form and any(base in words for base in bases):
                forms.add(form)
    return forms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.wordnet_data", description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET, help=f"WordNet's dict folder (default {WORDNET})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the folder to write the lists to (default {OUT})")
    args = parser.parse_args(argv)
    if not (args.wordnet / "data.noun").is_file():
        print(f"{args.wordnet}: no WordNet database here (run `apt-get install wordnet-base=1:3.0-37` as root)",
              file=sys.stderr)
        return 2
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    common, names = lemmas(args.wordnet)
    common |= irregular_forms(args.wordnet, common | names) | set(ENGLISH_STOP_WORDS)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, words in (("english.txt", common), ("names.txt", names - common)):
        (args.out / name).write_text("".join(f"{word}\n" for word in sorted(words)), encoding="utf-8")
        print(f"{args.out / name}: {len(words)} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
