"""Numbers as English writes them: in figures ("1,200", "3.8.12", "40 %") and in words ("twenty-one",
"a few hundred"). The number words are English's cardinals (any grammar lists them whole)."""

from __future__ import annotations

import re

NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million|billion|dozen|dozens|hundreds|thousands|millions)"
)
NUMBER = re.compile(
    rf"\b(?:(?:tens|hundreds) of thousands|(?:a|one) (?:few )?(?:dozen|hundred|thousand|million)|"
    # a version: 1.52.0, v1.2.3; not a manual's section or a function's argument ("zstd(1)", "printf(3)")
    rf"(?<![^\W\d_]\()v?\d[\d,]*(?:\.\d+)*(?:\s*(?:%|percent|per cent|million|billion|thousand))?|"
    rf"{NUMBER_WORDS}(?:[- ]{NUMBER_WORDS})*|twice|thrice)\b",
    re.IGNORECASE,
)
