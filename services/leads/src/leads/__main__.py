import sys

from common.service import serve

from leads.service import SPEC
from leads.settings import LeadsSettings


def main() -> None:
    if sys.argv[1:2] == ["rebuild"]:
        from common.rebuild import rebuild_all

        rebuild_all(SPEC, LeadsSettings())
        return
    serve(SPEC, LeadsSettings())


if __name__ == "__main__":
    main()
