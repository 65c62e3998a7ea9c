import sys

from common.service import serve

from leads.service import SPEC
from leads.settings import LeadsSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, LeadsSettings())
        return
    elif sys.argv[1:2] == ["replay-dead-letters"]:
        from common.deadletters import replay_dead_letters_main

        sys.exit(replay_dead_letters_main(SPEC, LeadsSettings(), sys.argv[2:]))
    serve(SPEC, LeadsSettings())


if __name__ == "__main__":
    main()
