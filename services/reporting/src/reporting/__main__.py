"""``python -m reporting [serve | rebuild | replay-dead-letters ...]`` (``common.service.main``)."""

from functools import partial

from common.service import main as service_main

from reporting.service import SPEC
from reporting.settings import ReportingSettings

main = partial(service_main, SPEC, ReportingSettings)

if __name__ == "__main__":
    main()
