"""Reading recommendations: the "for you" list with its reasons, in the active language."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import sparse

from profiles.display import fact_value_display, field_label
from profiles.models import Citizen, FactValue
from profiles.selectors import personalisation_allowed
from recommender.artifact import Artifact
from recommender.explanations import (
    FactBasis,
    Fallback,
    ForYou,
    Reason,
    ReasonKind,
    Recommendation,
    Source,
)
from recommender.features import (
    ELIGIBLE,
    NO_ACTIVITY,
    UNKNOWN,
    CatalogIndex,
    People,
    people_load,
    person_features,
    trait_label,
)
from recommender.models import SCORED_SOURCES, Interaction, InteractionChannel, ScoredList
from recommender.scoring import (
    SourceScores,
    blend_parts,
    candidates,
    non_personalised,
    popularity_scores,
    rank,
    rules_scores,
    source_scores,
)
from recommender.serving import Served, ServedCatalog, served_catalog, served_model
from services_portal.catalog.life_events import citizen_tags
from services_portal.eligibility.engine import Outcome, ServiceEligibility, Status, eligibility_evaluate
from services_portal.eligibility.facts import facts_for
from services_portal.reference import regions

if TYPE_CHECKING:
    from implicit.cpu.als import AlternatingLeastSquares

# A source whose share of an item's score is below this is not named among its reasons.
NOTABLE_SHARE = 0.15
TRAITS_SHOWN = 2
BECAUSE_SHOWN = 2


def _stored_parts(citizen: Citizen, served: Served, index: CatalogIndex) -> dict[Source, np.ndarray] | None:
    """The batch-scored shares, when they are newer than anything the person did or any fact since."""
    # One query: the list with the times of the person's latest interaction and fact beside it.
    latest = {
        "acted_at": Interaction.objects.filter(citizen=OuterRef("citizen")).values("citizen"),
        "told_at": FactValue.objects.filter(citizen=OuterRef("citizen")).values("citizen"),
    }
    stored = (
        ScoredList.objects.filter(citizen=citizen, model=served.model)
        .annotate(
            **{
                name: Subquery(rows.annotate(latest=Max("recorded_at")).values("latest").order_by())
                for name, rows in latest.items()
            }
        )
        .first()
    )
    if stored is None:
        return None
    changed = max(filter(None, (getattr(stored, name) for name in latest)), default=None)
    if changed is not None and changed > stored.scored_at:
        return None
    # Positions follow the model's item order, which serving has checked is the catalog's.
    positions, shares = stored.positions, stored.share_matrix
    parts = {source: np.zeros((1, len(index))) for source in Source}
    known = np.zeros((1, len(index)), dtype=bool)
    known[0, positions] = True
    for s, source in enumerate(SCORED_SOURCES):
        parts[Source(source)][0, positions] = shares[:, s]
    # What the batch left out (it keeps the top few) stays out, as it would have.
    parts[Source.RULES] = np.where(known, parts[Source.RULES], -np.inf)
    return parts


def _personalised_parts(
    citizen: Citizen, people: People, served: Served, index: CatalogIndex
) -> dict[Source, np.ndarray]:
    if served.artifact is None:
        return {Source.RULES: rules_scores(people, index)}
    stored = _stored_parts(citizen, served, index)
    if stored is not None:
        return stored
    return blend_parts(source_scores(served.artifact, people, index, als=served.als), people, served.artifact.blend)


def _fallback(citizen: Citizen, personalised: bool, served: Served) -> Fallback | None:
    if not personalised:
        return Fallback.SWITCHED_OFF if not citizen.personalisation_enabled else Fallback.NO_CONSENT
    if served.artifact is None:
        return Fallback.MODEL_UNAVAILABLE if served.broken else Fallback.NO_MODEL
    return None


def recommendations_for(citizen: Citizen, *, limit: int = 10, on: datetime.date | None = None) -> ForYou:
    """The person's ranked services with reasons. With personalisation allowed: rules, ALS and LightFM
    blended; otherwise what they qualify for, by popularity in their region, using nothing learnt
    from them. Without a usable model the rules rank alone."""
    on = on or timezone.localdate()
    served = served_model()
    catalog = served_catalog()
    index = catalog.index
    if served.artifact is not None and served.artifact.item_codes != list(index.codes):
        served = Served(served.model, None, None, broken=True)
    facts = facts_for([citizen])
    people = people_load([citizen.pk], index=index, on=on, facts=facts, citizens=[citizen])
    # Without a guardian the person holds their own consent, so people_load has already read the same
    # ledger row that personalisation_allowed would read again.
    personalised = bool(people.personalised[0]) if citizen.guardian_id is None else personalisation_allowed(citizen)
    if personalised:
        parts = _personalised_parts(citizen, people, served, index)
        total = np.where(candidates(people), sum(parts.values()), -np.inf)
    else:
        popularity = (
            popularity_scores(served.artifact, people)
            if served.artifact is not None
            else np.full((1, len(index)), np.nan)
        )
        nothing = np.full_like(popularity, np.nan)
        total = non_personalised(SourceScores(nothing, nothing, nothing, popularity), people)
        parts = {Source.POPULARITY: np.nan_to_num(popularity, nan=0.0)}
    chosen = [int(j) for j in rank(total, people, index, k=limit)[0] if j >= 0]
    explainer = _Explainer(
        citizen, facts[citizen.pk], people, served, catalog, on=on, personalised=personalised, chosen=chosen
    )
    items = [
        explainer.recommendation(j, {source: float(share[0, j]) for source, share in parts.items()}) for j in chosen
    ]
    return ForYou(
        personalised=personalised,
        items=items,
        model_version=served.model.version if served.model is not None and served.artifact is not None else None,
        fallback=_fallback(citizen, personalised, served),
    )


class _Explainer:
    """Turns a chosen service and its sources' shares into the reasons a person reads."""

    def __init__(
        self,
        citizen: Citizen,
        facts: dict[str, Any],
        people: People,
        served: Served,
        catalog: ServedCatalog,
        *,
        on: datetime.date,
        personalised: bool,
        chosen: list[int],
    ) -> None:
        self.people, self.served, self.index, self.personalised = people, served, catalog.index, personalised
        self.services = catalog.services
        # Per-criterion results only for the services shown: the ranking needed the outcomes alone.
        chosen_rules = [catalog.index.rules[j] for j in chosen]
        self.eligibility = {
            result.service_code: result for result in eligibility_evaluate(facts=facts, on=on, services=chosen_rules)
        }
        # The tags with the facts behind them cost three more queries: read them only when a service shown
        # is for one of the person's life events (citizen_tags' codes are among people.tags).
        shown_events = frozenset().union(*(catalog.index.life_events[j] for j in chosen))
        wanted = personalised and bool(shown_events & people.tags[0])
        self.tags = citizen_tags(citizen, on=on, facts=facts, version=catalog.version) if wanted else []
        self.departments = catalog.department_names()
        self.life_event_names = catalog.life_event_names()
        self._als_weights = None

    def recommendation(self, j: int, shares: dict[Source, float]) -> Recommendation:
        code = self.index.codes[j]
        result = self.eligibility[code]
        notable = [s for s, share in sorted(shares.items(), key=lambda kv: -kv[1]) if share >= NOTABLE_SHARE]
        reasons = [*self._life_events(j), self._criteria(result)]
        if Source.ALS in notable and self.served.als is not None:
            reasons += self._collaborative(j, self.served.als)
        if Source.LIGHTFM in notable and self.served.artifact is not None:
            reasons += self._similar_people(j, self.served.artifact)
        if Source.POPULARITY in notable or not self.personalised:
            reasons.append(self._popular())
        eligible = self.people.eligibility[0, j] == ELIGIBLE
        if self.index.essential[j] and eligible and result.outcome != Outcome.OPEN:
            reasons.append(
                Reason(
                    ReasonKind.ESSENTIAL,
                    _("This is essential assistance you qualify for, so it always stays on your list."),
                )
            )
        return Recommendation(
            service=self.services[code],
            score=round(sum(shares.values()), 4),
            sources=tuple(notable) or (Source.RULES,),
            reasons=tuple(reason for reason in reasons if reason is not None),
            eligible=bool(eligible),
            missing_facts=tuple(field_label(key) for key in result.missing_facts),
            open_to_everyone=result.outcome == Outcome.OPEN,
        )

    def _basis(self, record: FactValue) -> FactBasis:
        return FactBasis(
            key=record.key,
            label=field_label(record.key),
            value=fact_value_display(record.key, record.value),
            source=record.get_source_display(),
            department=self.departments.get(record.department, record.department) if record.department else "",
            observed_on=timezone.localdate(record.observed_at).isoformat(),
        )

    def _life_events(self, j: int) -> list[Reason]:
        events = self.index.life_events[j]
        return [
            Reason(
                ReasonKind.LIFE_EVENT,
                _("This service is for people in the life event “%(event)s”, and your details say you are.")
                % {"event": tag.name},
                life_event=tag.code,
                facts=tuple(self._basis(record) for record in tag.basis),
            )
            for tag in self.tags
            if tag.code in events
        ]

    def _criteria(self, result: ServiceEligibility) -> Reason:
        met = tuple(r.criterion.label for r in result.results if r.status == Status.MET)
        if result.outcome == Outcome.OPEN:
            return Reason(ReasonKind.CRITERIA, _("Anyone can use this service: it has no conditions."))
        if result.missing_facts and not met:
            text = _("Tell us a little more and we can say whether you qualify.")
        elif result.missing_facts:
            text = _("You meet %(met)d of its %(all)d conditions; tell us more to know about the rest.") % {
                "met": len(met),
                "all": len(result.results),
            }
        else:
            text = _("You meet all of its conditions.")
        return Reason(ReasonKind.CRITERIA, text, criteria=met)

    def _collaborative(self, j: int, als: AlternatingLeastSquares) -> list[Reason]:
        """implicit's own explanation: which of the person's services weigh most in this score."""
        user_items = sparse.csr_matrix(self.people.positives)
        _score, contributions, self._als_weights = als.explain(
            0, user_items, j, user_weights=self._als_weights, N=BECAUSE_SHOWN + 1
        )
        because = tuple(self.services[self.index.codes[i]] for i, share in contributions if share > 0 and i != j)[
            :BECAUSE_SHOWN
        ]
        if not because:
            return []
        names = _(", ").join(service.name for service in because)
        return [
            Reason(
                ReasonKind.COLLABORATIVE,
                _("People who used %(services)s also used this service.") % {"services": names},
                services=because,
            )
        ]

    def _similar_people(self, j: int, artifact: Artifact) -> list[Reason]:
        """LightFM scores a person by the sum of their features' embeddings: name the features that
        pull this service up most."""
        column = {name: i for i, name in enumerate(artifact.lightfm_user_features)}
        features = [
            f
            for f in person_features(self.people, 0)
            if f in column and f.partition(":")[2] not in (UNKNOWN, NO_ACTIVITY)
        ]
        pulls = [
            (artifact.lightfm_user_embeddings[column[f]] @ artifact.lightfm_item_embeddings[j], f) for f in features
        ]
        traits = tuple(
            trait_label(f, life_event_names=self.life_event_names)
            for pull, f in sorted(pulls, reverse=True)[:TRAITS_SHOWN]
            if pull > 0
        )
        if not traits:
            return []
        return [
            Reason(
                ReasonKind.SIMILAR_PEOPLE,
                _("People like you (%(traits)s) often use this service.") % {"traits": _("; ").join(traits)},
                traits=traits,
            )
        ]

    def _popular(self) -> Reason:
        region = regions.get(self.people.prefecture[0] + "00") if self.people.prefecture[0] != UNKNOWN else None
        if region is None:
            return Reason(ReasonKind.POPULAR, _("Many people in Guangxi use this service."))
        return Reason(ReasonKind.POPULAR, _("Many people in %(city)s use this service.") % {"city": region.name})


def citizens_used_online_since(citizen_ids: set[int], since: datetime.datetime) -> set[int]:
    """Those of these people with any interaction on the web or the app since `since`: notifications
    route their pushes to the inbox (notifications.hooks.used_online_since)."""
    used = Interaction.objects.filter(
        citizen_id__in=citizen_ids,
        channel__in=[InteractionChannel.WEB, InteractionChannel.APP],
        occurred_at__gte=since,
    )
    return set(used.order_by().values_list("citizen_id", flat=True).distinct())


def desk_suggestions(citizen: Citizen, limit: int) -> ForYou:
    """The counter's hook (counter.hooks.desk_suggestions): the person's "for you" list, for staff."""
    return recommendations_for(citizen, limit=limit)
