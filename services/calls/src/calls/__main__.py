from common.service import serve

from calls.service import SPEC
from calls.settings import CallsSettings


def main() -> None:
    serve(SPEC, CallsSettings())


if __name__ == "__main__":
    main()
