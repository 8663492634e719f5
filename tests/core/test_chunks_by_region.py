from services_portal.core.tasks import chunks_by_region


def test_a_chunk_holds_one_city_and_no_more_than_its_size():
    people = [("450102", 1), ("450103", 2), ("450103", 3), ("450202", 4), ("450203", 5), ("450203", 6), ("450203", 7)]
    assert list(chunks_by_region(people, 2)) == [[1, 2], [3], [4, 5], [6, 7]]
    assert list(chunks_by_region(people, 10)) == [[1, 2, 3], [4, 5, 6, 7]]


def test_nobody_is_left_out_or_counted_twice():
    people = [
        (f"45{city:02d}{county:02d}", city * 1000 + county * 10 + n)
        for city in (1, 2, 3)
        for county in (2, 3)
        for n in range(7)
    ]
    chunks = list(chunks_by_region(people, 5))
    assert sorted(person for chunk in chunks for person in chunk) == sorted(person for _, person in people)
    assert all(0 < len(chunk) <= 5 for chunk in chunks)
    assert list(chunks_by_region([], 5)) == []
