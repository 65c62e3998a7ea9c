"""Pure QA domain logic (no I/O): the rules live in ``qa.rules``; here the event adapter, review
decisions, sampling and ids."""
