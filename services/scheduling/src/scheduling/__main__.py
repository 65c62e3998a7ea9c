import sys

from common.service import serve

from scheduling.service import SPEC
from scheduling.settings import SchedulingSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, SchedulingSettings())
        return
    elif sys.argv[1:2] == ["replay-dead-letters"]:
        from common.deadletters import replay_dead_letters_main

        sys.exit(replay_dead_letters_main(SPEC, SchedulingSettings(), sys.argv[2:]))
    serve(SPEC, SchedulingSettings())


if __name__ == "__main__":
    main()
