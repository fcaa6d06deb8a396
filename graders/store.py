"""Learner identity <-> file key: the name of a learner's files in a batch output directory.

A learner's identity is the name of their entry in the class directory (`李雷.py` -> `李雷`), as Python
reads it (undecodable bytes as surrogate escapes). Its key names results/<key>.json and
feedback/<key>.md|.html. The mapping is one-to-one and reversible, and two different identities never get
keys that differ only in case, so no file system (case-insensitive ones included) can merge two learners:

- `a`-`z`, `0`-`9`, `_` and `-` stay as they are, and so does `.` when it is not the first character;
- an upper-case ASCII letter X is written `^x` (`Alice` -> `^alice`);
- every other byte of the identity's UTF-8 encoding is `%XX` with upper-case hex (`%` and `^` included:
  `é` -> `%C3%A9`, a leading `.` -> `%2E`, an undecodable byte 0xFF -> `%FF`).

Keys contain only ASCII and never start with a dot. A key longer than MAX_KEY_BYTES is cut (at a character
of the key, never inside an escape) and ends in `~` and 16 hex digits of the SHA-256 of the identity's
bytes; `~` appears in no other key. Only these pathological names (a file name of over 200 escaped bytes)
rely on a hash, and their key cannot be turned back into the identity: the result file stores it.
"""

from __future__ import annotations

import hashlib

MAX_KEY_BYTES = 200
HASH_MARK = "~"
HASH_HEX = 16
_KEEP = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
_HEX = frozenset("0123456789ABCDEF")


def identity_bytes(identity: str) -> bytes:
    """The bytes of a file name read by Python (surrogate escapes back to the bytes they stand for).
    ValueError for an empty string, or one no file name decodes to (a lone surrogate that is not an escape,
    or escapes of bytes that are valid UTF-8): such a string could share its bytes with another identity."""
    if not isinstance(identity, str) or not identity:
        raise ValueError(f"a learner identity is a non-empty string, not {identity!r}")
    try:
        raw = identity.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ValueError(f"{identity!r} is not a file name (it contains a lone surrogate)") from None
    if raw.decode("utf-8", "surrogateescape") != identity:
        raise ValueError(f"{identity!r} is not a file name (it escapes bytes that are valid UTF-8)")
    return raw


def _tokens(raw: bytes) -> list[str]:
    out = []
    for i, b in enumerate(raw):
        if b in _KEEP or (b == 0x2E and i > 0):
            out.append(chr(b))
        elif 0x41 <= b <= 0x5A:
            out.append("^" + chr(b + 32))
        else:
            out.append(f"%{b:02X}")
    return out


def learner_key(identity: str) -> str:
    """The file key of a learner identity (see the module docstring)."""
    raw = identity_bytes(identity)
    tokens = _tokens(raw)
    key = "".join(tokens)
    if len(key) <= MAX_KEY_BYTES:
        return key
    suffix = HASH_MARK + hashlib.sha256(raw).hexdigest()[:HASH_HEX]
    room, kept = MAX_KEY_BYTES - len(suffix), []
    for token in tokens:
        if len(token) > room:
            break
        kept.append(token)
        room -= len(token)
    return "".join(kept) + suffix


def learner_from_key(key: str) -> str:
    """The identity a key stands for: the inverse of learner_key. ValueError for a string that learner_key
    never returns, and for a shortened key (ending in `~` and a hash), whose identity only its result file
    knows."""
    if HASH_MARK in key:
        raise ValueError(f"{key!r} is a shortened key: its identity is the `learner` field of its result file")
    raw, i = bytearray(), 0
    while i < len(key):
        c = key[i]
        if c == "%" and len(key) >= i + 3 and set(key[i + 1:i + 3]) <= _HEX:
            raw.append(int(key[i + 1:i + 3], 16))
            i += 3
        elif c == "^" and i + 1 < len(key) and "a" <= key[i + 1] <= "z":
            raw.append(ord(key[i + 1]) - 32)
            i += 2
        elif c.isascii() and (ord(c) in _KEEP or (c == "." and i > 0)):
            raw.append(ord(c))
            i += 1
        else:
            raise ValueError(f"{key!r} is not a learner key (at position {i})")
    identity = bytes(raw).decode("utf-8", "surrogateescape")
    if not identity or learner_key(identity) != key:
        raise ValueError(f"{key!r} is not a learner key (not the canonical form)")
    return identity


def display_name(identity: str) -> str:
    """An identity as text that always encodes as UTF-8 (for grades.csv): an undecodable byte shows as
    `\\xNN`. Exact identities are kept in report.json and the result files."""
    try:
        identity.encode("utf-8")
        return identity
    except UnicodeEncodeError:
        pass
    try:
        return identity.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return identity.encode("utf-8", "backslashreplace").decode("utf-8")
