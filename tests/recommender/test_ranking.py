"""The ranking's promises: filters, diversity between departments, and the essential-assistance guard."""

import numpy as np
from scipy import sparse

from recommender.features import ELIGIBLE, MAYBE, NOT_ELIGIBLE, CatalogIndex, People
from recommender.scoring import candidates, rank


def index_of(departments: list[str], essential: list[bool], open_to_everyone: tuple[bool, ...] = ()) -> CatalogIndex:
    n = len(departments)
    return CatalogIndex(
        codes=tuple(f"s{j}" for j in range(n)),
        ids=tuple(range(n)),
        rules=(),
        categories=("c",) * n,
        departments=tuple(departments),
        life_events=(frozenset(),) * n,
        essential=np.array(essential),
        open_to_everyone=np.array(list(open_to_everyone) or [False] * n),
        life_event_rules=(),
    )


def one_person(eligibility: list[int], *, done: list[int] = (), dismissed: list[int] = ()) -> People:
    n = len(eligibility)

    def marks(columns) -> sparse.csr_array:
        cells = np.zeros((1, n), dtype=bool)
        cells[0, list(columns)] = True
        return sparse.csr_array(cells)

    return People(
        ids=np.array([1]),
        eligibility=np.array([eligibility], dtype=np.int8),
        tags=[frozenset()],
        age_band=["30-44"],
        prefecture=["4501"],
        hukou_type=["urban"],
        disabled=["no"],
        personalised=np.array([True]),
        positives=sparse.csr_array((1, n), dtype=np.float32),
        positive_count=np.array([0]),
        done=marks(done),
        negative=marks(dismissed),
        channel_habit=["online"],
    )


def test_not_eligible_done_and_dismissed_services_are_never_candidates():
    # given four services: eligible, not eligible, done, dismissed
    person = one_person([ELIGIBLE, NOT_ELIGIBLE, ELIGIBLE, MAYBE], done=[2], dismissed=[3])

    # when
    allowed = candidates(person)

    # then
    assert allowed.tolist() == [[True, False, False, False]]


def test_one_department_does_not_fill_the_list_while_others_wait():
    # given a person whose six best-scored services all come from one department
    index = index_of(["hrss"] * 6 + ["health", "tax"], [False] * 8)
    person = one_person([ELIGIBLE] * 8)
    scores = np.array([[9, 8, 7, 6, 5, 4, 1, 0.5]], dtype=float)

    # when five are chosen
    chosen = rank(scores, person, index, k=5)[0].tolist()

    # then at most three are from that department and the others come in, best first
    assert chosen == [0, 1, 2, 6, 7]


def test_a_department_fills_the_rest_when_nothing_else_is_left():
    index = index_of(["hrss"] * 5, [False] * 5)
    person = one_person([ELIGIBLE] * 5)
    scores = np.array([[5, 4, 3, 2, 1]], dtype=float)

    assert rank(scores, person, index, k=5)[0].tolist() == [0, 1, 2, 3, 4]


def test_essential_assistance_the_person_qualifies_for_is_never_pushed_out():
    # given popular services and, scored last, essential assistance the person qualifies for
    index = index_of(["a", "b", "c", "d", "e"], [False, False, False, False, True])
    person = one_person([ELIGIBLE] * 5)
    scores = np.array([[5, 4, 3, 2, 0.1]], dtype=float)

    # when three are chosen
    chosen = rank(scores, person, index, k=3)[0].tolist()

    # then the essential service takes the place of the lowest popular one
    assert 4 in chosen
    assert chosen == [0, 1, 4]


def test_the_guard_does_not_keep_essential_assistance_the_person_may_not_qualify_for():
    index = index_of(["a", "b", "c"], [False, False, True])
    person = one_person([ELIGIBLE, ELIGIBLE, MAYBE])
    scores = np.array([[5, 4, 0.1]], dtype=float)

    assert rank(scores, person, index, k=2)[0].tolist() == [0, 1]


def test_the_guard_does_not_keep_essential_assistance_open_to_everyone():
    # given an essential service without criteria (残疾人证办理), scored last
    index = index_of(["a", "b", "c"], [False, False, True], open_to_everyone=(False, False, True))
    person = one_person([ELIGIBLE] * 3)
    scores = np.array([[5, 4, 0.1]], dtype=float)

    # when two are chosen
    chosen = rank(scores, person, index, k=2)[0].tolist()

    # then it is not placed: nothing about the person qualifies them for it
    assert chosen == [0, 1]


def test_fewer_candidates_than_places_leave_the_rest_empty():
    index = index_of(["a", "b", "c"], [False] * 3)
    person = one_person([ELIGIBLE, NOT_ELIGIBLE, ELIGIBLE])
    scores = np.where(candidates(person), np.array([[1.0, 2.0, 3.0]]), -np.inf)

    assert rank(scores, person, index, k=3)[0].tolist() == [2, 0, -1]
