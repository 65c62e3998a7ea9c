"""Reading call-record JSON files (the dataset format: a call record plus an optional ``expected`` key)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qa.rules.model import CallRecord


class RecordError(ValueError):
    """A file is not a readable call record."""


def expand_paths(args: list[str]) -> list[Path]:
    """Files as given; a directory stands for its ``*.json`` files, sorted."""
    out: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.json") if q.is_file()))
        else:
            out.append(p)
    return out


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RecordError(f"{path}: expected a JSON object")
    return data


def parse_record(data: dict[str, Any], source: str) -> CallRecord:
    try:
        return CallRecord.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise RecordError(f"{source}: not a call record: {problems}") from exc


def load_record(path: Path) -> tuple[CallRecord, dict[str, Any]]:
    """The call record and the raw JSON object (which may carry ``expected``)."""
    data = read_json(path)
    return parse_record(data, str(path)), data
