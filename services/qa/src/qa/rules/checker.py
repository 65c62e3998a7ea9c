"""Run every enabled detector of a policy over one call."""

from __future__ import annotations

from qa.rules.context import CallContext
from qa.rules.detectors import DETECTORS, Detector
from qa.rules.model import CallRecord, Finding
from qa.rules.names import name_matcher
from qa.rules.policy import RULE_IDS, Policy, RuleSpec, load_policy


def check_call(call: CallRecord, policy: Policy | None = None, *, pii_key: str | None = None) -> list[Finding]:
    """All findings for ``call`` under ``policy`` (the packaged default when omitted), in rule order.

    The bare-full-name check (QA-01) uses ``call.lead.name`` when the record has it, else
    ``call.lead.name_digest`` digested candidates with ``pii_key`` (see ``qa.rules.names``)."""
    pol = policy if policy is not None else load_policy()
    lead = call.lead
    ctx = CallContext(call, pol, name_matcher(lead.name, lead.name_digest, pii_key))
    campaign = call.campaign.id
    findings: list[Finding] = []
    for spec, detector in _plan(ctx):
        if spec.campaigns and campaign not in spec.campaigns:
            continue  # a rule limited to some campaigns
        findings.extend(detector(call, pol, ctx))
    return findings


def _plan(ctx: CallContext) -> tuple[tuple[RuleSpec, Detector], ...]:
    """The policy's enabled rules with their detectors, in rule order: worked out once per policy,
    not looked up rule by rule on every check."""
    plan = ctx.cp.cache.get("checker:plan")
    if not isinstance(plan, tuple):
        rules = ctx.policy.rules
        plan = tuple((rules[r], DETECTORS[r]) for r in RULE_IDS if r in rules and r in DETECTORS and rules[r].enabled)
        ctx.cp.cache["checker:plan"] = plan
    found: tuple[tuple[RuleSpec, Detector], ...] = plan  # set just above under this key
    return found


def violated_rules(findings: list[Finding]) -> list[str]:
    """Sorted distinct rule ids of ``findings`` (the per-call verdict)."""
    return sorted({f.rule for f in findings})
