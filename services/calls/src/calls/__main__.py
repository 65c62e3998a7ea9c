import sys

from common.service import serve

from calls.service import SPEC
from calls.settings import CallsSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, CallsSettings())
        return
    elif sys.argv[1:2] == ["replay-dead-letters"]:
        from common.deadletters import replay_dead_letters_main

        sys.exit(replay_dead_letters_main(SPEC, CallsSettings(), sys.argv[2:]))
    serve(SPEC, CallsSettings())


if __name__ == "__main__":
    main()
