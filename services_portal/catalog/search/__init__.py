"""Catalog search that understands people: Chinese words, synonyms and everyday terms, English stems, pinyin
and its initials, one typo, ranked with BM25. Reached through `catalog.selectors.service_list`."""

from services_portal.catalog.search.index import catalog_index


def service_ids_ranked(*, query: str) -> list[int]:
    """Ids of the published services a query finds, the most relevant first; empty when it finds none."""
    return [service_id for service_id, _ in catalog_index().rank(query)]
