"""Pure-Python QA rule checker for recorded telesales calls (质检).

>>> from qa.rules import CallRecord, check_call, load_policy
>>> findings = check_call(CallRecord.model_validate(record), load_policy())
"""

from qa.rules.checker import check_call, violated_rules
from qa.rules.model import CallRecord, Finding, HoldTurn, SpeechTurn
from qa.rules.policy import RULE_IDS, Policy, PolicyError, RuleSpec, load_policy, parse_policy

__all__ = [
    "RULE_IDS",
    "CallRecord",
    "Finding",
    "HoldTurn",
    "Policy",
    "PolicyError",
    "RuleSpec",
    "SpeechTurn",
    "check_call",
    "load_policy",
    "parse_policy",
    "violated_rules",
]
