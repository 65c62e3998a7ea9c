"""``python -m calls [serve | rebuild | replay-dead-letters ...]`` (``common.service.main``)."""

from functools import partial

from common.service import main as service_main

from calls.service import SPEC
from calls.settings import CallsSettings

main = partial(service_main, SPEC, CallsSettings)

if __name__ == "__main__":
    main()
