"""Unicode to printer bytes for one profile: code page switching, Chinese mode, substitutions.

Text goes through two steps. :meth:`TextEncoder.prepare` turns any Unicode into the characters
the printer will really print (known substitutions, ``?`` where nothing can print a character),
so layout can measure it with :meth:`TextEncoder.width`. :meth:`TextEncoder.encode` then emits
bytes, switching ``ESC t`` slots only when the current page lacks a character (choosing the page
that covers most of what follows) and wrapping GB18030 runs in ``FS &`` / ``FS .``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from drivers.printer.profiles import PrinterProfile

ESC_T = b"\x1bt"
FS_KANJI_ON = b"\x1c&"
FS_KANJI_OFF = b"\x1c."

GB = -1  # pseudo slot: the printer's Chinese double-byte mode
_LOOKAHEAD = 64
_CACHE_LIMIT = 8192

# Shown instead of a character no page has (tried in order: this table, NFKC, dropping accents).
SUBSTITUTIONS: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′‹›`", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    **dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
        "\u202f\u205f\u3000",
        " ",
    ),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    "…": "...",
    "•": "*",
    "·": ".",
    "€": "EUR",
    "™": "TM",
    "©": "(C)",
    "®": "(R)",
    "№": "No",
    "ő": "ö",
    "ű": "ü",
    "Ő": "Ö",
    "Ű": "Ü",
    "ł": "l",
    "Ł": "L",
    "ß": "ss",
    "ẞ": "SS",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ø": "O",
    "ø": "o",
    "đ": "d",
    "Đ": "D",
    "×": "x",
    "÷": "/",
    "¥": "Y",
}
# Inside Chinese text on a GB font: the full-width forms that font has.
GB_SUBSTITUTIONS: dict[str, str] = {"¥": "￥"}


@dataclass(slots=True)
class EncoderState:
    """What the printer currently has selected; starts as after ``ESC @`` (+ ``FS .``)."""

    slot: int = 0
    chinese: bool = False


class TextEncoder:
    """Encodes text for one :class:`PrinterProfile`; keep one per profile and reuse it."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self._pages: dict[int, dict[str, int]] = {}
        self._maps: dict[int, object] = {}  # slot -> codecs EncodingMap (C-speed encoding)
        printable = set()
        for page in profile.code_pages:
            table = {c: 0x80 + i for i, c in enumerate(page.upper) if c != "\0"}
            self._pages[page.slot] = table
            printable.update(table)
            decoding = _ASCII + page.upper.replace("\0", "\ufffe")
            self._maps[page.slot] = codecs.charmap_build(decoding)
        chars = "".join(sorted(printable)).replace("\\", "\\\\").replace("]", "\\]")
        chars = chars.replace("^", "\\^").replace("-", "\\-")
        if profile.chinese and profile.chinese_encoding != "gb2312":
            chars += "\u4e00-\u9fa5"  # all of GBK's unified ideographs
        # Finds the characters prepare() must look at; text without any is printed as it is.
        self._unusual = re.compile(f"[^\\x20-\\x7e{chars}]")
        self._modes: dict[str, tuple[int, ...]] = {}
        self._resolved: dict[str, str] = {}
        self._printed = _Lazy(self._printed_form)
        # Translating through this doubles Chinese-mode characters, so len() gives columns.
        self._wide = _Lazy(lambda c: c * 2 if c >= "\x80" and self.modes(c) == (GB,) else c)

    # -- what can be printed -------------------------------------------------------------

    def _gb_ok(self, char: str) -> bool:
        if not self.profile.chinese:
            return False
        try:
            raw = char.encode("gb18030")
        except UnicodeEncodeError:
            return False
        if len(raw) == 2:
            return self.profile.chinese_encoding != "gb2312" or (raw[0] >= 0xA1 and raw[1] >= 0xA1)
        return self.profile.chinese_encoding == "gb18030" and "\u3400" <= char <= "\u4dbf"

    def modes(self, char: str) -> tuple[int, ...]:
        """Slots (ascending, or ``(GB,)``) that print a non-ASCII ``char``; empty if none."""
        found = self._modes.get(char)
        if found is None:
            slots = tuple(slot for slot, table in self._pages.items() if char in table)
            gb = self._gb_ok(char)
            if gb and (not slots or unicodedata.east_asian_width(char) in "WF"):
                found = (GB,)
            else:
                found = slots
            if len(self._modes) < _CACHE_LIMIT:
                self._modes[char] = found
        return found

    def printable(self, char: str) -> bool:
        return (char.isascii() and char.isprintable()) or bool(self.modes(char))

    def resolve(self, char: str) -> str:
        """What the printer prints for one (NFC) character: itself, a substitute, or ``?``."""
        done = self._resolved.get(char)
        if done is not None:
            return done
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            out = " " if char == "\t" else "?"
        elif self.printable(char):
            out = char
        else:
            out = "?"
            for candidate in self._substitutes(char):
                if all(self.printable(c) for c in candidate):
                    out = candidate
                    break
        if len(self._resolved) < _CACHE_LIMIT:
            self._resolved[char] = out
        return out

    def _printed_form(self, char: str) -> str:
        if " " <= char <= "~":
            return char
        return self.resolve(char)

    def _substitutes(self, char: str) -> list[str]:
        found = []
        if char in SUBSTITUTIONS:
            found.append(SUBSTITUTIONS[char])
        compat = unicodedata.normalize("NFKC", char)
        if compat != char:
            found.append(compat)
        bare = "".join(
            c for c in unicodedata.normalize("NFD", compat) if not unicodedata.combining(c)
        )
        if bare not in (char, compat) and (bare or unicodedata.combining(char)):
            found.append(bare)
        return found

    # -- layout --------------------------------------------------------------------------

    def prepare(self, text: str) -> str:
        """The characters the printer will print for ``text`` (one line, no ``\\n``)."""
        if text.isascii():
            return text if text.isprintable() else text.translate(self._printed)
        text = unicodedata.normalize("NFC", text)
        if self.profile.chinese and "¥" in text and self._has_gb(text):
            text = text.translate(_GB_TABLE)
        if self._unusual.search(text) is None:
            return text
        return text.translate(self._printed)

    def width(self, prepared: str) -> int:
        """Columns ``prepared`` takes: Chinese-mode characters take two."""
        if prepared.isascii() or not self.profile.chinese:
            return len(prepared)
        return len(prepared.translate(self._wide))

    def char_width(self, char: str) -> int:
        return 2 if char >= "\x80" and self.modes(char) == (GB,) else 1

    def _has_gb(self, text: str) -> bool:
        return any(self.modes(c) == (GB,) for c in text if c >= "\u2e80")

    # -- bytes ---------------------------------------------------------------------------

    def encode(self, prepared: str, state: EncoderState) -> bytes:
        """Bytes for ``prepared`` text, with the page/mode switches it needs; updates ``state``."""
        if prepared.isascii():
            return prepared.encode("ascii")
        if not state.chinese:
            try:  # the usual case: the current page prints all of it
                return codecs.charmap_encode(prepared, "strict", self._maps[state.slot])[0]
            except (UnicodeEncodeError, KeyError):
                pass
        out = b""
        start, size = 0, len(prepared)
        while start < size:
            if state.chinese:
                end = start
                while end < size and (prepared[end] < "\x80" or self.modes(prepared[end]) == (GB,)):
                    end += 1
                out += prepared[start:end].encode("gb18030")
                if end == size:
                    break
                out += FS_KANJI_OFF
                state.chinese = False
                start = end
                if state.slot in self.modes(prepared[start]):
                    continue
            else:
                done, stop = self._page_run(prepared, start, state.slot)
                out += done
                if stop == size:
                    break
                start = stop
            modes = self.modes(prepared[start])
            if not modes:  # text that skipped prepare(): never guess a page for it
                out += b"?"
                start += 1
            elif modes == (GB,):
                out += FS_KANJI_ON
                state.chinese = True
            else:
                state.slot = self._best_slot(modes, prepared, start)
                out += ESC_T + bytes((state.slot,))
        return out

    def _page_run(self, text: str, start: int, slot: int) -> tuple[bytes, int]:
        """Bytes for the longest stretch from ``start`` that page ``slot`` prints, and its end."""
        encoding_map = self._maps.get(slot, _ASCII_MAP)
        try:
            return codecs.charmap_encode(text[start:], "strict", encoding_map)[0], len(text)
        except UnicodeEncodeError as error:
            stop = start + error.start
            return codecs.charmap_encode(text[start:stop], "strict", encoding_map)[0], stop

    def _best_slot(self, candidates: tuple[int, ...], text: str, start: int) -> int:
        """The candidate page that prints the longest stretch of what follows."""
        if len(candidates) == 1:
            return candidates[0]
        ahead = text[start : start + _LOOKAHEAD]
        best, best_len = candidates[0], -1
        for slot in candidates:
            try:
                codecs.charmap_encode(ahead, "strict", self._maps[slot])
                return slot
            except UnicodeEncodeError as error:
                if error.start > best_len:
                    best, best_len = slot, error.start
        return best


class _Lazy(dict[str, str]):
    """A ``str.translate`` table that works out each new character once, then is a plain dict."""

    def __init__(self, compute: Callable[[str], str]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: int) -> str:  # type: ignore[override]
        value = self._compute(chr(key))
        if len(self) < _CACHE_LIMIT:
            self[key] = value  # type: ignore[index]
        return value


_ASCII = "".join(map(chr, range(128)))
_ASCII_MAP = codecs.charmap_build(_ASCII + "\ufffe" * 128)
_GB_TABLE = {ord(k): v for k, v in GB_SUBSTITUTIONS.items()}
