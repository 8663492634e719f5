"""When the person's data must go (registered in profiles.hooks by CaseworkConfig.ready)."""

from __future__ import annotations

from django.db.models import Q

from profiles.facts import FACTS, Sensitivity
from profiles.models import Citizen
from profiles.purposes import Purpose
from services_portal.casework.models import UNDECIDED_STATES, Case, CaseAction, CaseEvent, CaseObjection, CaseState


def _sensitive_facts() -> frozenset[str]:
    return frozenset(key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE)


def cases_consent_withdrawn(citizen: Citizen, purpose: str) -> None:
    """Withdrawing `sensitive_facts`: the sensitive values leave the evidence of every case of the person
    (and their wards) not yet decided, with a history row saying so. A decided case keeps its evidence:
    the decision is an administrative act, kept as it was made for review and appeal (README)."""
    if purpose != Purpose.SENSITIVE_FACTS:
        return
    sensitive = _sensitive_facts()
    cases = Case.objects.select_for_update(of=("self",)).filter(
        Q(citizen=citizen) | Q(citizen__guardian=citizen), state__in=UNDECIDED_STATES
    )
    for case in cases:
        kept = [item for item in case.evidence if item.get("fact") not in sensitive]
        if len(kept) == len(case.evidence):
            continue
        case.evidence = kept
        case.version += 1  # a caseworker looking at the old evidence must look again before deciding
        case.save(update_fields=["evidence", "version"])
        CaseEvent.objects.create(case=case, action=CaseAction.EVIDENCE_REDACTED)


def cases_account_closed(citizen: Citizen) -> None:
    """Closing the account: each undecided case is withdrawn (a history row says so) and loses its
    evidence; what the person wrote in objections is erased. Decided cases stay, with their evidence
    and history, pointing at the pseudonymous record (README: "For the data-protection officer")."""
    for case in Case.objects.select_for_update().filter(citizen=citizen, state__in=UNDECIDED_STATES):
        case.state, case.first_approver, case.evidence = CaseState.WITHDRAWN, None, []
        case.version += 1
        case.save(update_fields=["state", "first_approver", "evidence", "version"])
        CaseEvent.objects.create(case=case, action=CaseAction.WITHDRAWN, reason_code="account_closed")
    CaseObjection.objects.filter(event__case__citizen=citizen).delete()
