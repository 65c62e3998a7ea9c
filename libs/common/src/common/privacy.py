"""Personal data rules shared by every service: what may appear in an event."""

from __future__ import annotations

import hashlib
import hmac


def mask_phone(number: str | None) -> str | None:
    """``+8613800138000`` -> ``138****8000``: enough for a person to recognise, useless to dial."""
    if not number:
        return None
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str | None) -> str | None:
    """``张伟`` -> ``张*``, ``John Smith`` -> ``J*** S****``: the surname or initials a person
    recognises, not the name itself."""
    if not name:
        return None
    name = name.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def name_digest(key: str, name: str | None) -> str | None:
    """Keyed digest of a name. Services holding the key can test whether a given string is the
    customer's name (QA's bare-name rule) without the name itself travelling in events."""
    if not name:
        return None
    normalised = "".join(name.split())
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()[:32]


def number_digest(key: str, e164: str) -> str:
    """Keyed digest of an E.164 number: lets the calls guard recognise a dialled number as a
    known lead's without the number travelling in events."""
    return hmac.new(key.encode(), ("tel:" + e164).encode(), hashlib.sha256).hexdigest()[:32]
