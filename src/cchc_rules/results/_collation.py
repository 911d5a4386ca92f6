"""Vietnamese alphabetical order of names, for listing units that share a rank.

Code-point order puts ``Đ`` after ``Z`` and ``Ư`` after every Latin letter; a reader of a
Vietnamese table expects the alphabet ``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
u ư v x y`` (``f j w z`` in their Latin places), letters compared first, then tones in
the order ``a à ả ã á ạ`` (that of CLDR's Vietnamese collation), then case.
"""

from __future__ import annotations

import unicodedata

__all__ = ["vietnamese_key"]

_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]  # fmt: skip
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
# Marks that make another letter (breve, circumflex, horn) and marks of tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

Key = tuple[tuple[tuple[int, int], ...], tuple[int, ...], str]


def vietnamese_key(name: str) -> Key:
    """A sort key: letters by the Vietnamese alphabet, then tones, then the text itself.

    Characters outside the alphabet (spaces, digits, punctuation) sort before letters,
    by code point.
    """
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    decomposed = unicodedata.normalize("NFD", name.casefold())
    position = 0
    while position < len(decomposed):
        base = decomposed[position]
        position += 1
        tone = 0
        while position < len(decomposed) and unicodedata.combining(decomposed[position]):
            mark = decomposed[position]
            if mark in _LETTER_MARKS:
                base = unicodedata.normalize("NFC", base + mark)
            else:
                tone = _TONE_RANK.get(mark, tone)
            position += 1
        rank = _LETTER_RANK.get(base)
        letters.append((0, ord(base[0])) if rank is None else (1, rank))
        tones.append(tone)
    return tuple(letters), tuple(tones), unicodedata.normalize("NFC", name)
