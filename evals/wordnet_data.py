"""`python -m evals.wordnet_data`: the English word list of `qa.lexicon`, made from WordNet 3.0.

WordNet comes from Debian's `wordnet-base` package (`apt-get install wordnet-base=1:3.0-37`, which puts
the database in /usr/share/wordnet). Kept, lower-cased: every single-word lemma (the names a general
dictionary lists too: "havana", "american", "linux"; not "kerberos", "rsync" or "tarball"), and every
irregular form of the exception lists ("ran" of "run"). WordNet has no function words ("whose",
"unless", "would"): the Glasgow stop list, as scikit-learn ships it (`ENGLISH_STOP_WORDS`), adds them.
One word a line, sorted, into models/wordnet/english.txt.

    python -m evals.wordnet_data [--wordnet DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from qa.lexicon import WORD_LIST

WORDNET = Path("/usr/share/wordnet")
OUT = WORD_LIST
PARTS = ("noun", "verb", "adj", "adv")
ADJECTIVE_MARK = re.compile(r"\([a-z]+\)$")  # "big(a)": an adjective's syntactic marker


def lemmas(wordnet: Path) -> set[str]:
    """The single-word lemmas of WordNet's data files, lower-cased."""
    found: set[str] = set()
    for part in PARTS:
        for line in (wordnet / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):  # the licence at the top of each file
                continue
            fields = line.split()
            for index in range(int(fields[3], 16)):
                word = ADJECTIVE_MARK.sub("", fields[4 + 2 * index])
                if "_" not in word:
                    found.add(word.lower())
    return found


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
    parser.add_argument("--out", type=Path, default=OUT, help=f"the word list to write (default {OUT})")
    args = parser.parse_args(argv)
    if not (args.wordnet / "data.noun").is_file():
        print(f"{args.wordnet}: no WordNet database here (run `apt-get install wordnet-base=1:3.0-37` as root)",
              file=sys.stderr)
        return 2
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = lemmas(args.wordnet)
    words |= irregular_forms(args.wordnet, words) | set(ENGLISH_STOP_WORDS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(f"{word}\n" for word in sorted(words)), encoding="utf-8")
    print(f"{args.out}: {len(words)} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
