import sys

from common.service import serve

from qa.service import SPEC
from qa.settings import QaSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, QaSettings())
        return
    elif sys.argv[1:2] == ["replay-dead-letters"]:
        from common.deadletters import replay_dead_letters_main

        sys.exit(replay_dead_letters_main(SPEC, QaSettings(), sys.argv[2:]))
    serve(SPEC, QaSettings())


if __name__ == "__main__":
    main()
