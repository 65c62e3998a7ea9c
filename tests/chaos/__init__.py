"""Chaos: the platform's promise, that nothing accepted is lost or counted twice, checked on
real processes, a real nats-server and real databases while things fail.

Each scenario prints what it did and what it verified (counts in, counts out) and fails on any
loss or double count:

- ``kill9``: calls flow through the gateway while every service is killed with SIGKILL at
  random moments and restarted; afterwards every projection of every service equals a clean
  rebuild from the log, table by table, and every call that got a 2xx is in every projection
  that holds calls exactly once.

The short versions run inside ``make test`` (``tests/chaos/test_*.py``); the full ones with
``make chaos`` (``python -m tests.chaos --full``), which a developer or a nightly job runs on
demand. ``TEST_DATABASE_URL`` (PostgreSQL) is honoured as everywhere else.
"""
