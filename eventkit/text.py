"""Search keys: text folded so that what a person types finds what is stored, on any database.

`search_key` ignores case and accents and the letters people type without their marks (ł, ø, æ,
ß, đ, þ, œ, ı...), so "emile", "ÉMI" and "Émile" all give "emile". Other scripts keep their own
letters (Greek, Cyrillic, CJK are case-folded and lose only their accents, never transliterated),
so a name written in Greek is found by typing Greek. The same function folds the stored key and
the query, so the database only compares plain strings (SQLite's lower() is ASCII-only).

Changing the folding changes every stored key: recompute `attendee.name_key` in a migration.
"""
from __future__ import annotations

import re
import unicodedata

#: longest stored key; a few characters fold to many (ﷺ gives 18), long ones are cut here
NAME_KEY_LENGTH = 255

#: accents and other marks that people leave out when typing: the script-neutral combining
#: diacritics (Latin, Greek, Cyrillic, Vietnamese...), Hebrew points and Arabic harakat; marks that
#: are part of a letter (Japanese dakuten, Indic vowel signs) stay
_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u064b-\u065f\u0670]"
)

#: letters Unicode does not decompose, as people type them without their marks (already case-folded)
_PLAIN = str.maketrans({
    "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    "ŧ": "t",
    # apostrophes are left out: "obrien", "o'brien" and "O’Brien" (phones type curly ones) all meet
    "'": "", "\u2018": "", "\u2019": "", "\u02bc": "", "\u02bb": "", "`": "",
    # hyphens and dashes count as spaces: "jean pierre" finds "Jean-Pierre"
    "-": " ", "\u2010": " ", "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " ",
})


def search_key(text: str) -> str:
    """`text` case-folded, without accents or apostrophes, with plain letters for ł, ø, æ..., and
    hyphens as single spaces."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text or "").casefold())
    plain = _MARKS.sub("", folded).translate(_PLAIN)
    return " ".join(unicodedata.normalize("NFC", plain).split())


def name_key(name: str) -> str:
    """The stored search key of a name (cut to the column's length)."""
    return search_key(name)[:NAME_KEY_LENGTH]
