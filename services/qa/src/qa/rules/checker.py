"""Run every enabled detector of a policy over one call."""

from __future__ import annotations

from qa.rules.context import CallContext
from qa.rules.detectors import DETECTORS
from qa.rules.model import CallRecord, Finding
from qa.rules.names import name_matcher
from qa.rules.policy import RULE_IDS, Policy, load_policy


def check_call(call: CallRecord, policy: Policy | None = None, *, pii_key: str | None = None) -> list[Finding]:
    """All findings for ``call`` under ``policy`` (the packaged default when omitted), in rule order.

    The bare-full-name check (QA-01) uses ``call.lead.name`` when the record has it, else
    ``call.lead.name_digest`` digested candidates with ``pii_key`` (see ``qa.rules.names``)."""
    pol = policy if policy is not None else load_policy()
    lead = call.lead
    ctx = CallContext(call, pol, name_matcher(lead.name, lead.name_digest, pii_key))
    findings: list[Finding] = []
    for rule_id in RULE_IDS:
        spec = pol.rules.get(rule_id)
        detector = DETECTORS.get(rule_id)
        if spec is None or detector is None or not spec.applies_to(call.campaign.id):
            continue
        findings.extend(detector(call, pol, ctx))
    return findings


def violated_rules(findings: list[Finding]) -> list[str]:
    """Sorted distinct rule ids of ``findings`` (the per-call verdict)."""
    return sorted({f.rule for f in findings})
