"""Chaos: the platform's promise, that nothing accepted is lost or counted twice, checked on
real processes (every service and the gateway, started by ``tests.platform``), a real
nats-server and real databases (SQLite files, or PostgreSQL when ``TEST_DATABASE_URL`` is set)
while things fail.

Each scenario prints what it did and what it verified (counts in, counts out) and fails on any
loss or double count:

- ``kill9``: calls flow through the gateway while every service is killed with SIGKILL at
  random moments and restarted half a second later. Afterwards, services stopped: every table
  of every service equals a ``python -m <service> rebuild`` of a copy of its database, row by
  row (the exclusions, each with its reason, are ``harness.IGNORED_TABLES`` and
  ``IGNORED_COLUMNS``; every differing row is printed), and the rebuild dead-letters exactly
  what the live projection did (here: nothing, every record is valid). Every call that got a
  2xx is in calls' read model, reporting's call facts, QA's checked calls and leads' call
  attempts exactly once, the daily report counts it once, the counters agree with what they
  count (``harness.COUNTS``), and scheduling's callback book equals TM_SCHEDULING folded.
- ``duplicates``: one call posted 20 times at once is accepted once (one 202, the rest 200)
  and counted once; then every event stored in the four streams is published again with its
  ce-id and body under a new ``Nats-Msg-Id`` (what a publisher retrying after the 2-minute
  duplicate window stores): no row of any service changes, nor the daily report.
- ``soak``: calls at a rate (200/s) for a time (10 minutes): the resident memory of every
  process grows less than 10% from the warmed-up start to the end, the lag is back to zero
  within seconds after the load stops, and every call is counted once.

Run:

    .venv/bin/python -m pytest tests/chaos -q -s     # the short runs (part of ``make test``)
    make chaos                                       # the full runs: python -m tests.chaos
    .venv/bin/python -m tests.chaos --short --soak-seconds 60   # short runs and a 1-minute soak

``harness`` holds the reusable pieces (post calls at a rate, kill and restart a service, wait
for every projection to catch up, compare with rebuilds, count a call in every projection,
publish the log again, measure memory); ``scenarios`` the scenarios over a running platform.
"""
