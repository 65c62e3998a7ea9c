"""``python -m qa [serve | rebuild | replay-dead-letters ...]`` (``common.service.main``)."""

from functools import partial

from common.service import main as service_main

from qa.service import SPEC
from qa.settings import QaSettings

main = partial(service_main, SPEC, QaSettings)

if __name__ == "__main__":
    main()
