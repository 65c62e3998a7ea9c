"""``python -m leads [serve | rebuild | replay-dead-letters ...]`` (``common.service.main``)."""

from functools import partial

from common.service import main as service_main

from leads.service import SPEC
from leads.settings import LeadsSettings

main = partial(service_main, SPEC, LeadsSettings)

if __name__ == "__main__":
    main()
