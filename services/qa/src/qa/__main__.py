import sys

from common.service import serve

from qa.service import SPEC
from qa.settings import QaSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, QaSettings())
        return
    serve(SPEC, QaSettings())


if __name__ == "__main__":
    main()
