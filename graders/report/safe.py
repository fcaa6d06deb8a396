"""Neutralising learner-controlled text before a reporter shows it.

Everything a submission can influence (its stdout and stderr, exception messages and tracebacks, type names
and reprs of returned values, and every diagnosis, feedback line or counterexample built from them) passes
through one of these functions on its way into a terminal, a Markdown file or an HTML page. Each function
has one job:

- ``for_terminal``: characters that can move the cursor, recolour or clear a terminal, reorder text (bidi
  overrides) or hide it (zero-width and other format characters), and lone surrogates (which cannot even be
  encoded) become visible escapes such as ``\\x1b`` or ``\\u202e``. Newlines and tabs stay.
- ``one_line``: ``for_terminal`` for text that must stay on one line (a code, a label): newlines shown as ⏎.
- ``md_fence``: a fenced code block that no content can close.
- ``md_text``: learner text inline in Markdown (a list item, a parenthesis): no structure, no HTML, one line.
- ``for_html``: ``for_terminal`` and then HTML escaping (safe in element content and in quoted attributes).
"""

from __future__ import annotations

import html
import re
import unicodedata

# Categories of characters that are never shown as themselves: controls (C0, DEL, C1), format characters
# (bidi embeddings/overrides/isolates/marks, zero-width space/joiners, BOM, soft hyphen, invisible operators,
# tag characters...), lone surrogates, and the Unicode line/paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Anything outside printable ASCII, newline and tab is a candidate; its category decides.
_CANDIDATE = re.compile(r"[^\x20-\x7e\n\t]")
_NAMED = {"\r": "\\r"}

# Markdown: backslash-escape the ASCII punctuation that can start inline structure (code spans, emphasis,
# links and images, strikethrough, GitHub math) or block structure mid-line (headings, table cells).
# "_" inside a word cannot open or close emphasis (CommonMark flanking rules), so identifiers such as
# missing_final_relu stay as they are.
_MD_SPECIAL = re.compile(r"[\\`*\[\]#|~$]|(?<![^\W_])_|_(?![^\W_])|!(?=\[)")
# At the start of a line these would open a list, a block quote, a setext underline or a thematic break.
_MD_LINE_START = re.compile(r"^(?:[-+=]|(\d{1,9})([.)]))")
NEWLINE_MARK = " \u23ce "  # " ⏎ ": shows where a line break was in text that must stay on one line


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _escape_char(ch: str) -> str:
    named = _NAMED.get(ch)
    if named:
        return named
    cp = ord(ch)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _neutralise(match: re.Match) -> str:
    ch = match.group()
    return _escape_char(ch) if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch


def for_terminal(text: object) -> str:
    """Text that is safe to print on a terminal: every control character except newline and tab (C0, DEL, C1),
    every invisible format character (bidi overrides and isolates, zero-width characters, BOM, ...), the
    Unicode line/paragraph separators and lone surrogates become visible escapes (``\\x1b``, ``\\u202e``,
    ``\\ud800``). A bare carriage return becomes ``\\r``; CR LF is a newline. The result always encodes as
    UTF-8. ``None`` is the empty string; anything else is ``str()``-ed first."""
    s = _text(text)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    return _CANDIDATE.sub(_neutralise, s)


def one_line(text: object) -> str:
    """``for_terminal``, and newlines shown as `` ⏎ `` so the text cannot start a line of its own."""
    return for_terminal(text).replace("\n", NEWLINE_MARK)


def md_text(text: object) -> str:
    """Learner text to put inline in Markdown (inside a list item, a heading, a parenthesis): controls
    neutralised as by ``for_terminal``, ``&``, ``<`` and ``>`` as HTML entities (no raw HTML, no autolinks,
    no entity tricks), the Markdown punctuation that could start structure backslash-escaped, and line
    breaks shown as `` ⏎ `` so it cannot start a block. Plain words and identifiers come out unchanged."""
    s = html.escape(for_terminal(text), quote=False)
    s = NEWLINE_MARK.join(line.strip() for line in s.split("\n")) if "\n" in s else s
    s = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), s.strip())
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else "\\" + m.group(), s)


def md_fence(text: object, info: str = "") -> str:
    """``text`` (neutralised by ``for_terminal``) as a fenced code block: the fence is a run of backticks
    longer than any run of backticks in the text (at least three), so no line of the text can close it.
    ``info`` is the info string (e.g. ``text``); it cannot contain backticks or line breaks. No trailing
    newline: the caller joins blocks with its own line breaks (and indents every line to nest it)."""
    body = for_terminal(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    label = " ".join(for_terminal(info).replace("`", "").split())  # one line, no backticks
    return f"{fence}{label}\n{body}\n{fence}" if body else f"{fence}{label}\n{fence}"


def for_html(text: object) -> str:
    """Text for HTML element content or a quoted attribute value: ``for_terminal``, then ``&``, ``<``,
    ``>``, ``"`` and ``'`` escaped."""
    return html.escape(for_terminal(text), quote=True)
