"""Field types shared by the services' response models (each service's ``schemas.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

# A moment as the services have always written it: ``datetime.isoformat()`` (``+00:00``, not
# pydantic's ``Z``), so declaring a response model changes no client-visible string.
Timestamp = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json")]
