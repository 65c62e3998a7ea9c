"""Events owned by the leads service (stream ``LEADS``).

Never carries a raw phone number or a full name: other teams subscribe to these."""

from __future__ import annotations
