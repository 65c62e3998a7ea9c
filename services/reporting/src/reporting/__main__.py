import sys

from common.service import serve

from reporting.service import SPEC
from reporting.settings import ReportingSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, ReportingSettings())
        return
    elif sys.argv[1:2] == ["replay-dead-letters"]:
        from common.deadletters import replay_dead_letters_main

        sys.exit(replay_dead_letters_main(SPEC, ReportingSettings(), sys.argv[2:]))
    serve(SPEC, ReportingSettings())


if __name__ == "__main__":
    main()
