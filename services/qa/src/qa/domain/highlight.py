"""Evidence highlighting for people reading a finding."""

from __future__ import annotations

MARK_OPEN = "【"
MARK_CLOSE = "】"


def highlight(text: str, start: int | None, end: int | None) -> str:
    """The turn's text with the matched characters marked: 你怎么又【你什么意思】…"""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return text
    return f"{text[:start]}{MARK_OPEN}{text[start:end]}{MARK_CLOSE}{text[end:]}"
