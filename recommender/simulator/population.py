"""Simulated adults of Guangxi drawn from the public rates in `rates`, a chunk at a time with numpy.

A cohort holds each person's true situation: the facts as they are, whether or not the portal is told
them. Which facts the portal holds, and from which source, depends on the person's consents
(`disclosure`); behaviour (`behaviour`) follows the true situation, so that the stored facts are an
incomplete view of it, as they are in life.

Dates are held as days since 1970-01-01 (numpy int64) until they are turned into facts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np

from profiles.facts import FACTS, Sensitivity
from recommender.simulator import rates
from services_portal.reference import regions, standards

EPOCH = datetime.date(1970, 1, 1)
DAYS_PER_YEAR = 365.2425

MARITAL = ("single", "married", "divorced", "widowed")
# Shares by the upper age of a band, in MARITAL order (assumption, approximately the census' marital
# status tables: most people marry in their late twenties, widowhood rises after 70).
MARITAL_BY_AGE = {
    24: (0.85, 0.14, 0.01, 0.0),
    29: (0.45, 0.52, 0.03, 0.0),
    39: (0.12, 0.83, 0.05, 0.0),
    59: (0.04, 0.88, 0.05, 0.03),
    74: (0.02, 0.80, 0.04, 0.14),
    200: (0.02, 0.55, 0.02, 0.41),
}
EMPLOYMENT = ("employed", "self_employed", "unemployed", "student", "retired", "not_in_labour_force")
EMPLOYED, SELF_EMPLOYED, UNEMPLOYED, STUDENT, RETIRED, NOT_IN_LABOUR_FORCE = range(6)
MEDICAL = ("employee", "resident", "none")
CHANNEL_HABITS = ("web", "app", "counter")
WEB, APP, COUNTER = range(3)
HIGHER_EDUCATION_FROM = rates.EDUCATION_LEVELS.index("junior_college")
SENIOR_SECONDARY = rates.EDUCATION_LEVELS.index("senior_secondary")
# Age at graduation per education level (none has no graduation).
GRADUATION_AGE = (0, 12, 15, 18, 18, 21, 22, 25, 29)
# Relative chance of a birth in the last year by the mother's age band (assumption shaped like China's
# age-specific fertility: highest at 25-29); fathers are taken two years older.
FERTILITY_BY_AGE = ((20, 25, 0.55), (25, 30, 1.0), (30, 35, 0.85), (35, 40, 0.35), (40, 45, 0.08))
# Relative chance of having graduated from higher education in the last two years, by age.
RECENT_GRADUATE_BY_AGE = ((20, 21, 0.2), (21, 22, 0.7), (22, 24, 1.0), (24, 25, 0.6), (25, 27, 0.35), (27, 31, 0.1))
# Relative chance of a disability by age (assumption: prevalence rises steeply with age, as the 2006
# survey found; scaled to rates.DISABILITY overall).
DISABILITY_BY_AGE = {44: 1.0, 59: 2.2, 69: 4.0, 79: 7.0, 200: 11.0}
SENSITIVE_FACTS = frozenset(key for key, fact in FACTS.items() if fact.sensitivity == Sensitivity.SENSITIVE)
CORE_FACTS = ("birth_date", "sex", "region_code")


def day_of(value: datetime.date) -> int:
    return (value - EPOCH).days


def date_of(day: int) -> datetime.date:
    return EPOCH + datetime.timedelta(days=int(day))


def _calendar(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    moments = days.astype("datetime64[D]")
    months = moments.astype("datetime64[M]")
    year = moments.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (moments - months).astype(np.int64) + 1
    return year, month, day


def full_years(born: np.ndarray, on: int) -> np.ndarray:
    """Whole years from each birth day to day `on`, like services_portal.eligibility.derived.full_years."""
    year, month, day = _calendar(born)
    on_year, on_month, on_day = (int(part[0]) for part in _calendar(np.array([on])))
    return on_year - year - ((on_month < month) | ((on_month == month) & (on_day < day)))


def anniversary(born: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The day each person turns `years` old (29 February falls on 28 February)."""
    year, month, day = _calendar(born)
    start = ((year + years - 1970) * 12 + month - 1).astype("datetime64[M]")
    length = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    return start.astype("datetime64[D]").astype(np.int64) + np.minimum(day, length) - 1


def _by_age(table: dict[int, Any], age: np.ndarray) -> np.ndarray:
    """Index of the band each age falls in, for a table keyed by the bands' upper ages."""
    return np.searchsorted(np.array(sorted(table)), age, side="left")


def _choice_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row from per-row categorical probabilities."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(probabilities))[:, None] > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _banded_weight(age: np.ndarray, bands: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    weight = np.zeros(len(age))
    for low, high, value in bands:
        weight[(age >= low) & (age < high)] = value
    return weight


def _scaled(weight: np.ndarray, mean: float) -> np.ndarray:
    """Probabilities proportional to `weight` whose mean is `mean` (capped at 0.95)."""
    total = weight.mean()
    return np.minimum(weight * (mean / total), 0.95) if total > 0 else weight


@dataclass(frozen=True)
class Geography:
    prefectures: tuple[str, ...]
    weights: np.ndarray
    districts: tuple[tuple[str, ...], ...]  # urban districts per prefecture
    counties: tuple[tuple[str, ...], ...]  # counties and county-level cities per prefecture
    dibao: dict[tuple[str, str], float]  # (prefecture, hukou type) -> monthly standard


@cache
def geography() -> Geography:
    prefectures = rates.PREFECTURES.labels
    districts, counties = [], []
    for prefecture in prefectures:
        divisions = sorted(
            (r for r in regions.all_regions() if r.level == "county" and r.code.startswith(prefecture)),
            key=lambda r: r.code,
        )
        urban = tuple(r.code for r in divisions if r.name_en.endswith("District"))
        rural = tuple(r.code for r in divisions if not r.name_en.endswith("District"))
        districts.append(urban or rural)
        counties.append(rural or urban)
    dibao = {}
    for prefecture in prefectures:
        for hukou in ("urban", "rural"):
            standard = standards.dibao_standard_for(region_code=prefecture + "00", hukou_type=hukou)
            # A city without a published standard gets the province's lowest, so that incomes still
            # relate to some standard.
            dibao[(prefecture, hukou)] = float(standard) if standard is not None else 0.0
    lowest = {hukou: min(v for (_, h), v in dibao.items() if h == hukou and v > 0) for hukou in ("urban", "rural")}
    dibao = {key: value or lowest[key[1]] for key, value in dibao.items()}
    return Geography(
        prefectures=prefectures,
        weights=np.array(rates.PREFECTURES.weights),
        districts=tuple(districts),
        counties=tuple(counties),
        dibao=dibao,
    )


def _age_bands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adult age bands (low, high, share) from the census: 18-59 from the 15-59 share (flat within it)."""
    bands = [
        (18.0, 60.0, rates.AGE_15_59.value * 42 / 45),
        (60.0, 65.0, rates.AGE_60_PLUS.value - rates.AGE_65_PLUS.value),
    ]
    for label, band_share in zip(rates.OLD_AGE_BANDS.labels, rates.OLD_AGE_BANDS.weights, strict=True):
        band_low, band_high = (float(part) for part in label.split("-"))
        bands.append((band_low, band_high + 1, band_share * rates.AGE_65_PLUS.value))
    low, high, share = (np.array(column) for column in zip(*bands, strict=True))
    return low, high, share / share.sum()


def adult_share() -> float:
    """Adults (18+) as a share of everyone, from the census age structure (15-17 taken as 3/45 of 15-59)."""
    return 1 - rates.AGE_0_14.value - rates.AGE_15_59.value * 3 / 45


@dataclass
class Cohort:
    """A chunk of simulated people: one array entry per person."""

    today: int
    born: np.ndarray
    age: np.ndarray
    male: np.ndarray
    prefecture: np.ndarray  # index into geography().prefectures
    region_code: np.ndarray
    hukou_region_code: np.ndarray
    hukou_urban: np.ndarray
    migrant: np.ndarray  # hukou in another county than the one lived in
    online: np.ndarray
    channel_habit: np.ndarray  # WEB, APP or COUNTER
    activity: np.ndarray
    marital: np.ndarray
    children: list[list[int]]
    pregnant: np.ndarray
    pregnant_known: np.ndarray
    education: np.ndarray
    graduated: np.ndarray  # day or -1
    recent_graduate: np.ndarray
    employment: np.ndarray
    unemployed_since: np.ndarray
    unemployment_insured: np.ndarray
    pension_insured: np.ndarray
    retirement: np.ndarray  # day or -1
    disabled: np.ndarray
    disability_level: np.ndarray
    household_size: np.ndarray
    income_per_capita: np.ndarray
    income_monthly: np.ndarray
    medical_insurance: np.ndarray
    chronic_illness: np.ndarray
    medical_out_of_pocket: np.ndarray
    veteran: np.ndarray
    owns_home: np.ndarray
    business_registered: np.ndarray  # day or -1

    def __len__(self) -> int:
        return len(self.born)

    def facts(self) -> Iterator[dict[str, Any]]:
        """Each person's true facts as clean Python values (dates, Decimals), in cohort order."""
        columns = {
            name: getattr(self, name).tolist()
            for name in (
                "born",
                "male",
                "region_code",
                "hukou_region_code",
                "hukou_urban",
                "marital",
                "household_size",
                "income_per_capita",
                "income_monthly",
                "pregnant",
                "education",
                "graduated",
                "employment",
                "unemployment_insured",
                "medical_insurance",
                "pension_insured",
                "retirement",
                "disability_level",
                "chronic_illness",
                "medical_out_of_pocket",
                "veteran",
                "owns_home",
                "business_registered",
            )
        }
        for i in range(len(self)):
            employment = columns["employment"][i]
            facts: dict[str, Any] = {
                "birth_date": date_of(columns["born"][i]),
                "sex": "male" if columns["male"][i] else "female",
                "region_code": columns["region_code"][i],
                "hukou_region_code": columns["hukou_region_code"][i],
                "hukou_type": "urban" if columns["hukou_urban"][i] else "rural",
                "marital_status": MARITAL[columns["marital"][i]],
                "household_size": columns["household_size"][i],
                "household_income_monthly_per_capita": Decimal(columns["income_per_capita"][i]),
                "income_monthly": Decimal(columns["income_monthly"][i]),
                "children_birth_dates": [date_of(day) for day in self.children[i]],
                "is_pregnant": columns["pregnant"][i],
                "education_level": rates.EDUCATION_LEVELS[columns["education"][i]],
                "employment_status": EMPLOYMENT[employment],
                "medical_insurance_type": MEDICAL[columns["medical_insurance"][i]],
                "pension_insured": columns["pension_insured"][i],
                "disability_level": columns["disability_level"][i],
                "chronic_illness": columns["chronic_illness"][i],
                "medical_out_of_pocket_annual": Decimal(columns["medical_out_of_pocket"][i]),
                "is_veteran": columns["veteran"][i],
                "owns_home": columns["owns_home"][i],
            }
            if employment in (EMPLOYED, SELF_EMPLOYED, UNEMPLOYED):
                facts["unemployment_insured"] = columns["unemployment_insured"][i]
            for key, column in (
                ("graduation_date", "graduated"),
                ("retirement_date", "retirement"),
                ("business_registered_date", "business_registered"),
            ):
                if columns[column][i] >= 0:
                    facts[key] = date_of(columns[column][i])
            yield facts


def cohort_draw(rng: np.random.Generator, size: int, *, today: datetime.date) -> Cohort:
    """`size` adults drawn from the public rates, as they are on `today`."""
    geo = geography()
    now = day_of(today)
    n = size

    # -- who and where -----------------------------------------------------------------------------
    low, high, share = _age_bands()
    band = rng.choice(len(share), size=n, p=share)
    age_days = ((low[band] + rng.random(n) * (high[band] - low[band])) * DAYS_PER_YEAR).astype(np.int64)
    born = now - age_days
    age = full_years(born, now)
    male = rng.random(n) < rates.MALE_SHARE.value
    prefecture = rng.choice(len(geo.prefectures), size=n, p=geo.weights)
    urban = rng.random(n) < rates.URBAN_SHARE.value
    # Urban residents mostly live in city districts, rural ones in counties.
    in_district = np.where(urban, rng.random(n) < 0.75, rng.random(n) < 0.10)
    pick = rng.random(n)

    def place(p: int, district: bool, u: float) -> str:
        options = (geo.districts if district else geo.counties)[p]
        return options[int(u * len(options))]

    region_code = np.array(
        [place(*person) for person in zip(prefecture.tolist(), in_district.tolist(), pick.tolist(), strict=True)]
    )
    hukou_urban = np.where(
        urban,
        rng.random(n) < rates.HUKOU_URBAN_AMONG_URBAN_RESIDENTS.value,
        rng.random(n) < rates.HUKOU_URBAN_AMONG_RURAL_RESIDENTS.value,
    )
    # Urban residents with a rural hukou have come from elsewhere: another county, often another city.
    migrant = urban & ~hukou_urban
    elsewhere = migrant & (rng.random(n) < rates.HUKOU_ELSEWHERE_AMONG_MIGRANTS.value)
    origin = np.where(elsewhere, rng.choice(len(geo.prefectures), size=n, p=geo.weights), prefecture)
    origin_pick = rng.random(n)
    hukou_region_code = region_code.copy()
    for i in np.flatnonzero(migrant).tolist():
        hukou_region_code[i] = place(int(origin[i]), False, float(origin_pick[i]))
    migrant = hukou_region_code != region_code

    # -- online or not -----------------------------------------------------------------------------
    factor = np.array([rates.ONLINE_AGE_FACTORS[key] for key in sorted(rates.ONLINE_AGE_FACTORS)])[
        _by_age(rates.ONLINE_AGE_FACTORS, age)
    ]
    penetration = np.where(urban, rates.INTERNET_URBAN.value, rates.INTERNET_RURAL.value) * factor
    online = rng.random(n) < np.clip(penetration, 0.02, 0.99)
    channel_habit = np.where(online, np.where(rng.random(n) < rates.APP_SHARE_ONLINE.value, APP, WEB), COUNTER)
    # How much a person does with government services at all (assumption: log-normal, wide).
    activity = rng.lognormal(0.0, 0.5, n)

    # -- family ------------------------------------------------------------------------------------
    marital_table = np.array([MARITAL_BY_AGE[key] for key in sorted(MARITAL_BY_AGE)])
    marital = _choice_rows(rng, marital_table[_by_age(MARITAL_BY_AGE, age)])
    partnered = marital != 0
    parent_age = age - np.where(male, 2, 0)
    fertility = _banded_weight(parent_age, FERTILITY_BY_AGE) * np.where(partnered, 1.0, 0.08)
    # Each birth has two parents among the adults: per adult, twice the birth rate over the adult share.
    newborn_p = _scaled(fertility, 2 * rates.BIRTH_RATE.value / adult_share())
    newborn = rng.random(n) < newborn_p
    toddler_weight = _banded_weight(parent_age - 1.5, FERTILITY_BY_AGE) * np.where(partnered, 1.0, 0.08)
    toddler = rng.random(n) < _scaled(toddler_weight, 2 * 2 * rates.TODDLER_BIRTH_RATE.value / adult_share())
    older_p = np.where(partnered & (age >= 24), np.clip((age - 22) / 12, 0, 0.9), 0.0)
    older_count = np.where(rng.random(n) < older_p, rng.choice([1, 2, 3], size=n, p=[0.45, 0.42, 0.13]), 0)
    newborn_day = now - rng.integers(0, 365, n)
    toddler_day = now - rng.integers(365, 3 * 365, n)
    children: list[list[int]] = []
    child_draws = rng.random((n, 3))
    for i in range(n):
        days = []
        if newborn[i]:
            days.append(int(newborn_day[i]))
        if toddler[i]:
            days.append(int(toddler_day[i]))
        # Older children were born when the parent was 20 to 40, and are 3 or more now.
        latest = min(40.0, float(age[i]) - 3)
        if older_count[i] and latest > 20:
            for k in range(int(older_count[i])):
                parent_age_then = 20 + child_draws[i, k] * (latest - 20)
                days.append(int(born[i] + parent_age_then * DAYS_PER_YEAR))
        children.append(sorted(days))
    youngest_age_days = np.array([now - max(days) if days else 10**6 for days in children])
    women_fertility = np.where(male, 0.0, newborn_p)
    pregnant = (rng.random(n) < rates.PREGNANCY_SHARE_OF_YEAR.value * women_fertility) & (youngest_age_days > 90)
    pregnant_known = now - rng.integers(0, 230, n)

    # -- education ---------------------------------------------------------------------------------
    education_table = np.array([rates.EDUCATION_BY_AGE[key] for key in sorted(rates.EDUCATION_BY_AGE)])
    education = _choice_rows(rng, education_table[_by_age(rates.EDUCATION_BY_AGE, age)])
    recent_p = _scaled(_banded_weight(age, RECENT_GRADUATE_BY_AGE), 2 * rates.GRADUATE_RATE.value / adult_share())
    recent_graduate = rng.random(n) < recent_p
    graduate_levels = np.array([rates.EDUCATION_LEVELS.index(level) for level in rates.GRADUATE_LEVELS.labels])
    education = np.where(
        recent_graduate,
        graduate_levels[rng.choice(len(graduate_levels), size=n, p=rates.GRADUATE_LEVELS.weights)],
        education,
    )
    seasons = _graduation_seasons(today)
    season = np.array(seasons)[rng.integers(0, len(seasons), n)]
    graduated = np.where(
        education > 0,
        anniversary(born, np.array(GRADUATION_AGE)[education]) + rng.integers(0, 200, n),
        -1,
    )
    graduated = np.where(recent_graduate, season + rng.integers(0, 25, n), graduated)
    # Anyone else whose last graduation would fall in the last two years is still studying (or has just
    # left school): they are not the higher-education graduates the graduate rate counts.
    too_recent = ~recent_graduate & (graduated > now - 25 * 30)
    studying = too_recent & (age <= 24) & ((education >= HIGHER_EDUCATION_FROM) | (rng.random(n) < 0.4))
    education = np.where(studying & (education >= HIGHER_EDUCATION_FROM), SENIOR_SECONDARY, education)
    graduated = np.where(too_recent, -1, graduated)

    # -- work --------------------------------------------------------------------------------------
    retirement_age = np.where(
        male,
        rates.RETIREMENT_AGE_MEN.value,
        np.where(
            hukou_urban & (education >= SENIOR_SECONDARY),
            rates.RETIREMENT_AGE_WOMEN_STAFF.value,
            rates.RETIREMENT_AGE_WOMEN_WORKERS.value,
        ),
    ).astype(np.int64)
    retirement_day = anniversary(born, retirement_age)
    past_retirement = retirement_day <= now
    retired = past_retirement & (
        rng.random(n) < np.where(hukou_urban, rates.RETIRED_AFTER_AGE_URBAN.value, rates.RETIRED_AFTER_AGE_RURAL.value)
    )
    participates = rng.random(n) < np.where(
        male, rates.LABOUR_PARTICIPATION_MEN.value, rates.LABOUR_PARTICIPATION_WOMEN.value
    )
    business_weight = _banded_weight(age, ((18, 22, 0.3), (22, 56, 1.0), (56, 65, 0.3)))
    new_business = rng.random(n) < _scaled(business_weight, rates.NEW_BUSINESS_RATE.value / adult_share())
    labour = ~past_retirement & ~studying & (participates | new_business)
    unemployment_weight = np.where(recent_graduate, rates.GRADUATE_UNEMPLOYMENT_FACTOR.value, 1.0) * np.where(
        age >= 45, 0.8, 1.0
    )
    unemployment_weight = np.where(labour & ~new_business, unemployment_weight, 0.0)
    unemployed = labour & (
        rng.random(n)
        < unemployment_weight * (rates.URBAN_UNEMPLOYMENT.value * labour.sum() / max(unemployment_weight.sum(), 1e-9))
    )
    self_share = np.where(hukou_urban, 0.15, 0.32) * rates.SELF_EMPLOYED_SHARE.value / 0.22
    self_employed = labour & ~unemployed & ((rng.random(n) < self_share) | new_business)
    # Past retirement age and not retired: rural people keep farming into their late sixties.
    farming = past_retirement & ~retired & (age < 70) & (rng.random(n) < 0.5)
    employment = np.full(n, NOT_IN_LABOUR_FORCE)
    employment[labour] = EMPLOYED
    employment[self_employed | farming] = SELF_EMPLOYED
    employment[unemployed] = UNEMPLOYED
    employment[studying] = STUDENT
    employment[retired] = RETIRED
    unemployed_since = now - np.minimum(rng.exponential(rates.UNEMPLOYMENT_SPELL_MEAN_DAYS.value, n), 540).astype(
        np.int64
    )
    unemployment_insured = rng.random(n) < np.select(
        [employment == EMPLOYED, employment == UNEMPLOYED], [0.62, 0.45], 0.15
    ) * (rates.UNEMPLOYMENT_INSURED.value / 0.52)
    pension_insured = np.where(
        employment == STUDENT, rng.random(n) < 0.2, rng.random(n) < min(rates.PENSION_INSURED.value + 0.03, 0.99)
    )
    pension_insured |= retired
    near_retirement = (retirement_day > now - 3 * 365) & (retirement_day <= now + 3 * 365)
    has_retirement = retired | (near_retirement & np.isin(employment, [EMPLOYED, SELF_EMPLOYED]) & pension_insured)
    retirement = np.where(has_retirement, retirement_day, -1)
    business_registered = np.where(new_business & (employment == SELF_EMPLOYED), now - rng.integers(0, 365, n), -1)
    older_business = (employment == SELF_EMPLOYED) & (business_registered < 0) & ~farming & (rng.random(n) < 0.5)
    business_registered = np.where(
        older_business, now - (365 + rng.random(n) * 14 * 365).astype(np.int64), business_registered
    )

    # -- health ------------------------------------------------------------------------------------
    disability_weight = np.array([DISABILITY_BY_AGE[key] for key in sorted(DISABILITY_BY_AGE)])[
        _by_age(DISABILITY_BY_AGE, age)
    ]
    disabled = rng.random(n) < _scaled(disability_weight, rates.DISABILITY.value)
    certified = disabled & (rng.random(n) < rates.DISABILITY_CERTIFIED.value)
    levels = np.array([int(level) for level in rates.DISABILITY_LEVELS.labels])
    disability_level = np.where(
        certified, levels[rng.choice(len(levels), size=n, p=rates.DISABILITY_LEVELS.weights)], 0
    )
    chronic_table = np.array([rates.CHRONIC_ILLNESS_BY_AGE[key] for key in sorted(rates.CHRONIC_ILLNESS_BY_AGE)])
    chronic_illness = rng.random(n) < chronic_table[_by_age(rates.CHRONIC_ILLNESS_BY_AGE, age)]
    medical_out_of_pocket = np.round(rng.lognormal(np.log(np.where(chronic_illness, 4000.0, 400.0)), 1.0), -1)
    medical_weights = np.array(rates.MEDICAL_INSURANCE.weights)
    uninsured = rng.random(n) < medical_weights[2]
    employee_insured = ((employment == EMPLOYED) & (rng.random(n) < np.where(hukou_urban, 0.8, 0.5))) | (
        retired & hukou_urban
    )
    medical_insurance = np.where(uninsured, 2, np.where(employee_insured, 0, 1))

    # -- household and money -----------------------------------------------------------------------
    minors = np.array([sum(1 for day in days if now - day < 18 * DAYS_PER_YEAR) for days in children])
    with_parents = (marital == 0) & (age < 30) & (rng.random(n) < 0.7)
    household_size = np.select(
        [marital == 1, with_parents, marital == 0],
        [2 + minors + (rng.random(n) < 0.25), 3 + (rng.random(n) < 0.4), 1 + (rng.random(n) < 0.4)],
        1 + minors + (rng.random(n) < 0.5),
    )
    household_size = np.clip(household_size, 1, 10)
    # Poverty risk (assumption: rural hukou, unemployment, disability, old age and living alone raise it,
    # a job lowers it), scaled so that the shares below and near the dibao standard match the rates.
    risk = (
        np.where(hukou_urban, 1.0, 2.0)
        * np.where(employment == UNEMPLOYED, 3.0, 1.0)
        * np.where(disability_level > 0, 2.5, 1.0)
        * np.where(age >= 70, 1.6, 1.0)
        * np.where((household_size == 1) & (age >= 60), 1.5, 1.0)
        * np.where(employment == EMPLOYED, 0.5, 1.0)
    )
    below_p = np.minimum(risk * rates.DIBAO_SHARE.value / risk.mean(), 0.9)
    near_p = np.minimum(risk * rates.NEAR_DIBAO_SHARE.value / risk.mean(), 0.9)
    draw = rng.random(n)
    below = draw < below_p
    near = ~below & (draw < below_p + near_p)
    prefecture_codes = np.array(geo.prefectures)[prefecture]
    standard = np.array(
        [
            geo.dibao[(p, "urban" if u else "rural")]
            for p, u in zip(prefecture_codes.tolist(), hukou_urban.tolist(), strict=True)
        ]
    )
    median = np.where(hukou_urban, rates.INCOME_MEDIAN_URBAN.value, rates.INCOME_MEDIAN_RURAL.value)
    above = 1.5 * standard + rng.lognormal(np.log(np.maximum(median - 1.5 * standard, 100.0)), 0.7)
    income_per_capita = np.select(
        [below, near],
        [standard * (0.15 + 0.8 * rng.random(n)), standard * (1.0 + 0.48 * rng.random(n))],
        above,
    )
    # Whole yuan, rounded down so that "below the standard" stays below it.
    income_per_capita = np.floor(income_per_capita)
    own = np.select(
        [employment == EMPLOYED, employment == SELF_EMPLOYED, employment == RETIRED],
        [
            rng.lognormal(np.log(np.where(hukou_urban, 4500.0, 3000.0)), 0.5),
            rng.lognormal(np.log(3500.0), 0.7),
            rng.lognormal(np.log(np.where(hukou_urban, 3200.0, 250.0)), 0.35),
        ],
        np.where(rng.random(n) < 0.3, rng.lognormal(np.log(600.0), 0.6), 0.0),
    )
    income_monthly = np.floor(np.where(below | near, np.minimum(own, income_per_capita * household_size), own))

    veteran = rng.random(n) < np.where(male & (age >= 20), rates.VETERAN_MEN.value, rates.VETERAN_WOMEN.value)
    owns_home = rng.random(n) < np.where(migrant, 0.45, min(rates.OWNS_HOME.value + 0.04, 0.99))

    return Cohort(
        today=now,
        born=born,
        age=age,
        male=male,
        prefecture=prefecture,
        region_code=region_code,
        hukou_region_code=hukou_region_code,
        hukou_urban=hukou_urban,
        migrant=migrant,
        online=online,
        channel_habit=channel_habit,
        activity=activity,
        marital=marital,
        children=children,
        pregnant=pregnant,
        pregnant_known=pregnant_known,
        education=education,
        graduated=graduated,
        recent_graduate=recent_graduate,
        employment=employment,
        unemployed_since=unemployed_since,
        unemployment_insured=unemployment_insured,
        pension_insured=pension_insured,
        retirement=retirement,
        disabled=disabled,
        disability_level=disability_level,
        household_size=household_size,
        income_per_capita=income_per_capita,
        income_monthly=income_monthly,
        medical_insurance=medical_insurance,
        chronic_illness=chronic_illness,
        medical_out_of_pocket=medical_out_of_pocket,
        veteran=veteran,
        owns_home=owns_home,
        business_registered=business_registered,
    )


def _graduation_seasons(today: datetime.date) -> list[int]:
    """First days (20 June) of the graduation seasons within the last 24 months and over by today."""
    seasons = []
    for year in range(today.year - 2, today.year + 1):
        start = datetime.date(year, 6, 20)
        end = datetime.date(year, 7, 15)
        months = (today.year - year) * 12 + today.month - 6 - (today.day < 20)
        if end <= today and months <= 23:
            seasons.append(day_of(start))
    return seasons
