"""Search text folding and FTS5 queries: "zlutoucky" finds "žluťoučký", 牛奶 finds 新鲜牛奶."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into base + combining mark.
_EXTRA = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "ħ": "h", "ı": "i", "œ": "oe", "æ": "ae", "þ": "th", "ŀ": "l"}
)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF  # hangul
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def fold(text: str) -> str:
    """Lower case, no diacritics (ё→е, ž→z, ő→o), CJK characters split into one token each."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    out: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if _is_cjk(char):
            out.append(f" {char} ")
        elif char.isalnum():
            out.append(char)
        else:
            out.append(" ")
    return " ".join("".join(out).translate(_EXTRA).split())


def search_text(name: str, sku: str, group: str | None, attributes: dict[str, str]) -> str:
    """What the name search indexes: the name, the SKU and the variant values."""
    parts = [name, sku, *(attributes.values())]
    if group:
        parts.append(group)
    return fold(" ".join(parts))


def match_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every word as a prefix; CJK runs as phrases of characters."""
    tokens = fold(query).split()
    if not tokens:
        return None
    terms: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and _is_cjk(token):
            run.append(token)
            continue
        if run:
            terms.append('"' + " ".join(run) + '"')
            run = []
        terms.append(f'"{token}"*')
    if run:
        terms.append('"' + " ".join(run) + '"')
    return " ".join(terms)
