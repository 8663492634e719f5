"""The public rates the simulated population is drawn from, each with the source it comes from.

Figures marked "approximately" are quoted from memory of the publication or derived from it by simple
arithmetic shown next to them; check them against the source before relying on them outside the simulator.
Behavioural parameters with no public figure behind them say "assumption" instead of a source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """One figure and where it comes from."""

    value: float
    source: str


@dataclass(frozen=True)
class Distribution:
    """Shares of a whole (they need not sum to exactly 1: they are normalised where used)."""

    shares: tuple[tuple[str, float], ...]
    source: str

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.shares)

    @property
    def weights(self) -> tuple[float, ...]:
        total = sum(share for _, share in self.shares)
        return tuple(share / total for _, share in self.shares)


# -- population structure -----------------------------------------------------------------------

CENSUS_2020 = (
    "Guangxi Zhuang Autonomous Region Bureau of Statistics, Bulletin of the Seventh National Population Census"
)

AGE_0_14 = Rate(0.2363, f"{CENSUS_2020} (2021): people aged 0-14 are 23.63% of the resident population.")
AGE_15_59 = Rate(0.5969, f"{CENSUS_2020} (2021): people aged 15-59 are 59.69%.")
AGE_60_PLUS = Rate(0.1669, f"{CENSUS_2020} (2021): people aged 60 and over are 16.69%.")
AGE_65_PLUS = Rate(0.1220, f"{CENSUS_2020} (2021): people aged 65 and over are 12.20% (approximately).")

# The census gives 60+ and 65+ only; the split of 65+ into bands is an assumption shaped like a
# typical survival curve, scaled so that 65+ sums to AGE_65_PLUS.
OLD_AGE_BANDS = Distribution(
    (("65-69", 0.043), ("70-74", 0.033), ("75-79", 0.022), ("80-89", 0.020), ("90-99", 0.004)),
    "assumption: shares of the whole population per band, summing to the census' 12.2% aged 65+",
)

URBAN_SHARE = Rate(0.5420, f"{CENSUS_2020} (2021): urban residents are 54.20% of the population.")

MALE_SHARE = Rate(0.5206, f"{CENSUS_2020} (2021): sex ratio 108.64 men per 100 women (approximately), so 52.1% men.")

# Census 2020 populations of the 14 prefecture-level cities, by the first four digits of the code.
PREFECTURES = Distribution(
    (
        ("4501", 8_741_584),  # Nanning
        ("4502", 4_157_934),  # Liuzhou
        ("4503", 4_931_137),  # Guilin
        ("4504", 2_820_977),  # Wuzhou
        ("4505", 1_853_227),  # Beihai
        ("4506", 1_046_068),  # Fangchenggang
        ("4507", 3_302_238),  # Qinzhou
        ("4508", 4_316_262),  # Guigang
        ("4509", 5_795_587),  # Yulin
        ("4510", 3_571_505),  # Baise
        ("4511", 2_007_858),  # Hezhou
        ("4512", 3_417_945),  # Hechi
        ("4513", 2_074_611),  # Laibin
        ("4514", 2_089_956),  # Chongzuo
    ),
    "the cities' Seventh National Population Census bulletins (2021), resident population per city "
    "(approximately; together about 50.13 million, Guangxi's census total)",
)

HUKOU_URBAN_AMONG_URBAN_RESIDENTS = Rate(
    0.70,
    "approximately: NBS reports an urbanisation rate by household registration (about 48%) some 18 points "
    "below the resident urbanisation rate (about 65%) for 2022, so roughly 7 in 10 urban residents hold an "
    "urban hukou",
)
HUKOU_URBAN_AMONG_RURAL_RESIDENTS = Rate(0.03, "assumption: rural residents almost all hold a rural hukou")
HUKOU_ELSEWHERE_AMONG_MIGRANTS = Rate(
    0.5, "assumption: half of the urban residents with a rural hukou have it in another prefecture"
)

AVERAGE_HOUSEHOLD_SIZE = Rate(
    2.9, f"{CENSUS_2020} (2021): about 2.9 people per family household in Guangxi (approximately)"
)

# -- births and families ------------------------------------------------------------------------

NBS_2023 = (
    "National Bureau of Statistics, Statistical Communiqué of the People's Republic of China on the 2023 "
    "National Economic and Social Development (28 February 2024)"
)

BIRTH_RATE = Rate(0.00639, f"{NBS_2023}: crude birth rate 6.39 per thousand (9.02 million births).")
TODDLER_BIRTH_RATE = Rate(
    0.0072,
    "NBS Statistical Communiqués 2021 and 2022: 10.62 and 9.56 million births, about 7.5 and 6.8 per thousand "
    "(approximately); the mean is used for children aged 1-2",
)
NATIONAL_POPULATION = Rate(1_409_670_000, f"{NBS_2023}: 1,409.67 million people at the end of 2023.")
PREGNANCY_SHARE_OF_YEAR = Rate(0.75, "assumption: a pregnancy is known for about 9 of the 12 months before a birth")

# -- education and work -------------------------------------------------------------------------

GRADUATES_2024 = Rate(
    11_790_000, "Ministry of Education: 11.79 million graduates of regular higher education institutions in 2024."
)
GRADUATE_RATE = Rate(
    GRADUATES_2024.value / NATIONAL_POPULATION.value,
    "11.79 million graduates (Ministry of Education, 2024) / 1,409.67 million people (NBS, 2023): "
    "0.84% of the population graduate in a year",
)
GRADUATE_LEVELS = Distribution(
    (("junior_college", 0.47), ("bachelor", 0.44), ("master", 0.085), ("doctorate", 0.005)),
    "approximately: Ministry of Education statistics have about half of each year's graduates from "
    "junior colleges (专科) and a little under half with a bachelor's degree",
)

# Highest education by age band, shaped to Guangxi's census figures per 100,000 people (junior college and
# above 10,806; senior secondary 12,962; junior secondary 36,388; primary 27,855: CENSUS_2020, approximately).
EDUCATION_LEVELS = (
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "junior_college",
    "bachelor",
    "master",
    "doctorate",
)
EDUCATION_BY_AGE = {
    # upper age of the band: shares in EDUCATION_LEVELS order
    29: (0.005, 0.04, 0.34, 0.16, 0.14, 0.16, 0.14, 0.012, 0.002),
    44: (0.01, 0.10, 0.44, 0.13, 0.08, 0.12, 0.10, 0.015, 0.002),
    59: (0.02, 0.24, 0.49, 0.13, 0.04, 0.045, 0.03, 0.004, 0.001),
    74: (0.06, 0.42, 0.35, 0.11, 0.025, 0.02, 0.015, 0.0, 0.0),
    200: (0.25, 0.48, 0.17, 0.07, 0.01, 0.01, 0.01, 0.0, 0.0),
}
EDUCATION_SOURCE = f"{CENSUS_2020}: education per 100,000 people, spread over age bands by assumption"

URBAN_UNEMPLOYMENT = Rate(0.052, f"{NBS_2023}: urban surveyed unemployment rate 5.2% on average over the year.")
GRADUATE_UNEMPLOYMENT_FACTOR = Rate(
    3.0,
    "approximately: NBS's surveyed unemployment for ages 16-24 (excluding students) was about 15% in 2024, "
    "some three times the overall rate",
)
LABOUR_PARTICIPATION_MEN = Rate(
    0.84,
    "approximately: ILO modelled estimates put China's male participation near 74% "
    "of 15+, higher in working ages 18-59",
)
LABOUR_PARTICIPATION_WOMEN = Rate(
    0.70, "approximately: ILO modelled estimates, female participation about 61% of 15+, higher in working ages"
)
SELF_EMPLOYED_SHARE = Rate(
    0.22, "approximately: 124 million registered individual businesses (SAMR, 2023) against 740 million employed"
)
UNEMPLOYMENT_INSURED = Rate(
    0.52,
    "approximately: 243.73 million insured against unemployment at the end of 2023 (Ministry of Human Resources "
    "and Social Security, statistical bulletin 2023) against 470.32 million urban employed (NBS, 2023)",
)
UNEMPLOYMENT_SPELL_MEAN_DAYS = Rate(120.0, "assumption: an unemployment spell has lasted about four months on average")

PENSION_INSURED = Rate(
    0.90,
    "approximately: 1,066 million people in basic pension insurance at the end of 2023 (MOHRSS statistical "
    "bulletin 2023), about nine in ten adults",
)
RETIREMENT_AGE_MEN = Rate(
    60,
    "Statutory retirement age 60 for men (State Council 1978 provisions); raised by a few months for people "
    "retiring from 2025 (NPC Standing Committee decision, 13 September 2024), which is left out here",
)
RETIREMENT_AGE_WOMEN_STAFF = Rate(55, "Statutory retirement age 55 for women in staff positions (1978 provisions).")
RETIREMENT_AGE_WOMEN_WORKERS = Rate(50, "Statutory retirement age 50 for women workers (1978 provisions).")
RETIRED_AFTER_AGE_URBAN = Rate(0.88, "assumption: most urban people past retirement age draw an employee pension")
RETIRED_AFTER_AGE_RURAL = Rate(0.35, "assumption: rural people past retirement age mostly keep farming")

MEDICAL_INSURANCE = Distribution(
    (("employee", 370.95), ("resident", 962.94), ("none", 75.8)),
    "National Healthcare Security Administration, statistical bulletin 2023: 370.95 million in employee and "
    "962.94 million in resident medical insurance (approximately), against 1,409.67 million people",
)

NEW_BUSINESS_RATE = Rate(
    32_730_000 / 1_409_670_000,
    "State Administration for Market Regulation: 32.73 million new market entities registered in 2023 "
    "(approximately), 2.3% of the population in a year",
)

# -- health, disability, income ------------------------------------------------------------------

DISABILITY = Rate(
    0.0634,
    "Second National Sample Survey on Disability (2006): 82.96 million people with disabilities, 6.34% of the "
    "population",
)
DISABILITY_CERTIFIED = Rate(
    0.45,
    "approximately: about 38 million people hold a disability certificate (China Disabled Persons' Federation, "
    "2023), some 45% of those with a disability",
)
DISABILITY_LEVELS = Distribution(
    (("1", 0.15), ("2", 0.25), ("3", 0.25), ("4", 0.35)),
    "assumption: certificate levels 1 (most severe) to 4, milder levels more common",
)
CHRONIC_ILLNESS_BY_AGE = {44: 0.05, 59: 0.18, 74: 0.40, 200: 0.55}
CHRONIC_ILLNESS = Rate(
    0.21,
    "approximately: National Health Commission, more than 300 million people diagnosed with a chronic disease "
    "(about 21%), far more among the elderly; CHRONIC_ILLNESS_BY_AGE spreads it by age (assumption)",
)

DIBAO_SHARE = Rate(
    0.029,
    "Ministry of Civil Affairs, Statistical Bulletin on the Development of Civil Affairs 2023: about 40 million "
    "people on the minimum living allowance (6.6 million urban, 34 million rural; approximately), 2.9% of "
    "1,409.67 million",
)
NEAR_DIBAO_SHARE = Rate(
    0.030,
    "approximately: the Ministry of Civil Affairs' low-income population monitoring covered about 80 million "
    "people in 2024 (5.7%), of whom the dibao recipients are half; the other half is put between 1 and 1.5 "
    "times the local dibao standard, which the portal's low_income fact uses",
)
INCOME_MEDIAN_URBAN = Rate(
    3000,
    "approximately: Guangxi urban per-capita disposable income about 41,800 CNY a year in 2023 (Guangxi "
    "statistical communiqué 2023), a median near 3,000 a month",
)
INCOME_MEDIAN_RURAL = Rate(
    1350,
    "approximately: Guangxi rural per-capita disposable income about 18,700 CNY a year in 2023, a median near "
    "1,350 a month",
)

VETERAN_MEN = Rate(
    0.08,
    "approximately: about 57 million veterans (Ministry of Veterans Affairs, 2018 registration), almost all men",
)
VETERAN_WOMEN = Rate(0.003, "assumption")
OWNS_HOME = Rate(
    0.88,
    "approximately: People's Bank of China urban household survey 2019, 96% of urban households own a home; "
    "lower for people living away from their hukou (assumption: 45%)",
)

# -- being online -------------------------------------------------------------------------------

CNNIC_53 = "CNNIC, The 53rd Statistical Report on China's Internet Development (March 2024)"

INTERNET_PENETRATION = Rate(0.775, f"{CNNIC_53}: 1.092 billion internet users, penetration 77.5%.")
INTERNET_URBAN = Rate(0.833, f"{CNNIC_53}: urban penetration 83.3% (approximately).")
INTERNET_RURAL = Rate(0.665, f"{CNNIC_53}: rural penetration 66.5%.")
INTERNET_ELDERLY = Rate(
    0.50,
    f"approximately: {CNNIC_53} has people aged 60+ at about 14% of 1.092 billion users, against 297 million "
    "people aged 60+ (NBS, 2023): about half of the elderly are online, far fewer over 70",
)
# Multipliers on the urban or rural penetration by age, chosen so that adults under 40 are nearly all
# online and the 60+ average lands near INTERNET_ELDERLY (assumption).
ONLINE_AGE_FACTORS = {39: 1.15, 59: 1.05, 69: 0.82, 200: 0.50}
APP_SHARE_ONLINE = Rate(0.7, "assumption: seven in ten online users reach government services through the app")

# -- consent (no public figures: assumptions) ---------------------------------------------------

CONSENT_PERSONALISATION = Rate(0.85, "assumption: most people accept recommendations")
CONSENT_PERSONALISATION_OFFLINE = Rate(0.6, "assumption: fewer agree at a counter")
PERSONALISATION_SWITCHED_OFF = Rate(0.03, "assumption: a few turn the switch off after consenting")
CONSENT_WITHDRAWN = Rate(0.02, "assumption: a few withdraw personalisation again")
CONSENT_DATA_MATCHING = Rate(0.75, "assumption")
CONSENT_SENSITIVE_WITH_MATCHING = Rate(0.75, "assumption: of those who agreed to data matching")
CONSENT_SENSITIVE_WITHOUT_MATCHING = Rate(0.30, "assumption")
CONSENT_PROACTIVE = Rate(0.60, "assumption")
CONSENT_NOTIFY_INBOX = Rate(0.80, "assumption: online people; offline 5%")
CONSENT_NOTIFY_SMS = Rate(0.55, "assumption")
CONSENT_NOTIFY_COUNTER = Rate(0.85, "assumption: offline people; online 10%")

FACT_KNOWN_FROM_DEPARTMENT = Rate(0.95, "assumption: a department holds most facts about a person")
FACT_SELF_DECLARED = Rate(0.55, "assumption: people who keep departments out declare about half of the facts")

# -- being reached (recommender.simulator.reach) ------------------------------------------------

PHONE_KNOWN_ONLINE = Rate(
    0.98,
    f"approximately: {CNNIC_53} has 99.9% of internet users online by mobile phone, and a government-service "
    "account is opened with a real-name mobile number; a few numbers on file are out of date",
)
PHONE_KNOWN_OFFLINE = Rate(
    0.60,
    "assumption: the portal holds a phone number (given at a counter or by a department) for six in ten of the "
    "people who do not use it; PHONE_KNOWN_OFFLINE_AGE_FACTORS lowers it for the oldest",
)
# Multipliers on PHONE_KNOWN_OFFLINE by the upper age of a band (assumption: fewer of the oldest own a phone).
PHONE_KNOWN_OFFLINE_AGE_FACTORS = {69: 1.1, 79: 0.9, 200: 0.6}
INBOX_OPEN_DAILY = Rate(
    0.25,
    "assumption: an online user with the median activity opens the portal or the app (and so sees the inbox) on a "
    "given day with a one-in-four chance; more active people more often (their own web and app use, relative to "
    "the median, between 0.3 and 3 times)",
)
# Multipliers on the daily chance by the upper age of a band (assumption: older users look less often).
INBOX_OPEN_AGE_FACTORS = {59: 1.0, 79: 0.8, 200: 0.6}
INBOX_DORMANT = Rate(0.08, "assumption: about one online user in twelve does not open the portal for weeks")
INBOX_OPEN_HOURS = (8.0, 22.0)  # assumption: people open the portal between 8:00 and 22:00, uniformly
SMS_UNDELIVERABLE = Rate(
    0.03,
    "assumption: numbers changed, switched off or out of service; bulk text-message delivery is commonly quoted "
    "near 97%",
)
OUTREACH_CONTACTS_PER_1000 = Rate(
    2.0,
    "assumption: outreach contacts (phone calls, or a quarter as many visits) per working day per 1,000 adults "
    "living in the county: Guangxi's 16,000-odd villages and communities each making a few contacts a day for "
    "benefits, about 80,000 a day for some 39 million adults",
)
OUTREACH_VISIT_COST = Rate(4.0, "assumption: a home visit takes the time of four phone calls")
OUTREACH_PHONE_ANSWERED = Rate(0.75, "assumption: three calls in four are answered by the person or their family")
OUTREACH_FOUND_AT_HOME = Rate(0.85, "assumption: a visit finds the person (or a neighbour who passes it on)")
OUTREACH_DECLINED = Rate(0.02, "assumption: a few people contacted decline the service there and then")
