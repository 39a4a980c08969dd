"""Dates and times as English writes them: calendar dates ("July 9, 2014", "9 July", "2014-07-09", "the
1990s", "the 5th century"), relative ones ("last week", "three years ago"), durations and frequencies.
The month names are the index's (`index.documents.chunking.MONTH`, which dates documents at ingest);
weekdays, seasons and frequency adverbs are English's closed lists."""

from __future__ import annotations

import re

from index.documents.dates import MONTH
from qa.english.numbers import NUMBER_WORDS

MONTH_NAME = MONTH.removesuffix(r"\.?")  # without an abbreviation's full stop
WEEKDAY = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?"
# A weekday outside a whole date is written whole: "Sun's Java", "on Sat-2 hardware" name no day
WEEKDAY_WHOLE = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# Calendar dates: a day, a month, a year or a century. A number inside one counts no thing.
CALENDAR_PATTERNS = [
    rf"\b{WEEKDAY}\.?,?\s+{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    rf"\b{WEEKDAY}\.?,?\s+\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+\d{{4}}\b",  # Sun, 12 Mar 2023
    rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+\d{{4}}\b",
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
    rf"\b(?:(?:early|mid|late)[- ])?{MONTH}\s+(?:of\s+)?\d{{4}}\b",
    rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b",
    # 31 October, 5th of May: the day first, no year (a sentence's full stop after it is not the date's)
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_NAME}(?!\w)",
    rf"(?<=\b(?:in|In|by|By) ){MONTH}\b|(?<=\b(?:since|Since|until|Until) ){MONTH}\b",
    r"\b(?:(?:early|mid|late)[- ]|the\s+|c\.?\s?)?(?:1\d|20)\d{2}s?(?:\s*[-–]\s*(?:\d{2}|\d{4}))?"
    r"(?:\s(?:BC|AD|BCE|CE)\b)?\b",
    r"\b(?:(?:early|mid|late)[- ])?(?:the\s+)?\d{1,2}(?:st|nd|rd|th)[- ]centur(?:y|ies)(?:\s(?:BC|AD|BCE|CE))?\b",
]
DATE_PATTERNS = [
    *CALENDAR_PATTERNS,
    r"\b(?:(?:early|mid|late)[- ])?(?:spring|summer|autumn|fall|winter)\s+(?:of\s+)?\d{4}\b",
    rf"\b(?:last|next|this|on)\s+(?:{WEEKDAY_WHOLE}|week|month|year|spring|summer|autumn|fall|winter)\b",
    rf"\b(?:\d+|{NUMBER_WORDS}(?:[- ]{NUMBER_WORDS})*|several|many)\s+(?:years?|months?|weeks?|days?|decades?)\s+ago\b",
    rf"\b{WEEKDAY_WHOLE}\b",
    r"\b\d{1,2}(?::\d{2})?\s?(?:a\.m\b\.?|p\.m\b\.?|am\b|pm\b)",
    r"\b(?:today|yesterday|tomorrow|recently)\b",
]
DATE = re.compile("|".join(f"(?:{p})" for p in DATE_PATTERNS))
CALENDAR = re.compile("|".join(f"(?:{p})" for p in CALENDAR_PATTERNS))
SINCE = re.compile(r"\bsince\s+(?:" + "|".join(f"(?:{p})" for p in CALENDAR_PATTERNS) + ")")
HOW_LONG = re.compile(r"\bhow long\b(?! ago)")
HOW_OFTEN = re.compile(r"\bhow often\b")
FREQUENCY = re.compile(r"\b(?:bi-?|semi-?)?(?:annual(?:ly)?|weekly|daily|monthly|yearly|quarterly|hourly)\b|"
                        r"\b(?:once|twice|\w+ times)\s+(?:a|an|per|each|every)\s+\w+|\bevery\s+(?:\w+\s+)?\w+",
                        re.IGNORECASE)

