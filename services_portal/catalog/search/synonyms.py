"""The reviewed synonyms file: what people say, and the catalog's words for it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from services_portal.catalog.search.text import CHINESE_RUN, english_words, normalise, stems

SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.yaml"


@dataclass(frozen=True)
class Synonyms:
    chinese: dict[str, tuple[str, ...]]
    """A Chinese word or phrase → the words to search for besides it."""
    english: dict[tuple[str, ...], tuple[str, ...]]
    """English words, as stems (so plurals match) → the words to search for besides them."""
    stopwords: frozenset[str]
    """Chinese words and English stems that say nothing about the service wanted."""

    @property
    def chinese_words(self) -> set[str]:
        """Every Chinese word the file names, for the segmenter to keep whole."""
        words = set(self.chinese)
        for expansions in self.chinese.values():
            words.update(word for word in expansions if CHINESE_RUN.fullmatch(word))
        return words

    def chinese_expand(self, text: str) -> list[str]:
        """The expansions of the Chinese entries found in `text`, the longest first, none overlapping: in
        生孩子 the entry 生孩子 counts, not 孩子 inside it."""
        taken: list[range] = []
        found: list[str] = []
        for said in sorted(self.chinese, key=len, reverse=True):
            start = text.find(said)
            while start >= 0:
                span = range(start, start + len(said))
                if not any(span.start < other.stop and other.start < span.stop for other in taken):
                    taken.append(span)
                    found.extend(self.chinese[said])
                start = text.find(said, start + 1)
        return found

    def english_expand(self, query_stems: list[str]) -> list[str]:
        """The expansions of the English entries whose words occur in a row among the query's stems."""
        taken: set[int] = set()
        found: list[str] = []
        for said in sorted(self.english, key=len, reverse=True):
            for start in range(len(query_stems) - len(said) + 1):
                positions = set(range(start, start + len(said)))
                if tuple(query_stems[start : start + len(said)]) == said and not positions & taken:
                    taken |= positions
                    found.extend(self.english[said])
        return found


def _add(table: dict, key, words: list[str]) -> None:
    table[key] = tuple(dict.fromkeys([*table.get(key, ()), *words]))


@functools.cache
def synonyms_load(path: Path = SYNONYMS_FILE) -> Synonyms:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    chinese: dict[str, tuple[str, ...]] = {}
    english: dict[tuple[str, ...], tuple[str, ...]] = {}

    def entry(said: str, means: list[str]) -> None:
        said = normalise(said)
        means = [normalise(word) for word in means if normalise(word) != said]
        if CHINESE_RUN.search(said):
            _add(chinese, said, means)
        else:
            _add(english, tuple(stems(english_words(said))), means)

    for group in data.get("same", []):
        for said in group:
            entry(str(said), [str(word) for word in group])
    for said, means in data.get("said", {}).items():
        entry(str(said), [str(word) for word in means])
    stopwords = data.get("stopwords", {})
    return Synonyms(
        chinese=chinese,
        english=english,
        stopwords=frozenset([*stopwords.get("zh", []), *stems([normalise(word) for word in stopwords.get("en", [])])]),
    )
