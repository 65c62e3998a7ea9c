"""``python -m scheduling [serve | rebuild | replay-dead-letters ...]`` (``common.service.main``)."""

from functools import partial

from common.service import main as service_main

from scheduling.service import SPEC
from scheduling.settings import SchedulingSettings

main = partial(service_main, SPEC, SchedulingSettings)

if __name__ == "__main__":
    main()
