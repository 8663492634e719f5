"""The catalog's search index: BM25 over each field of the published services, and how a query is read.

A query is read as typed, widened by the synonyms file, and, where it is Latin letters, as pinyin (gaoling)
or pinyin initials (gljt, or the start of them: glj); a Chinese word that is not in the catalog is looked up
by its sound (高令 → 高龄, the typical slip of a pinyin keyboard) and an English word by one typo (alowance).
What each reading adds counts less than what was typed. The fields are ranked apart with BM25 (bm25s,
Lucene's variant) and added up with weights, a service's name counting most.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from services_portal.catalog.models import ServiceItem
from services_portal.catalog.search.synonyms import Synonyms, synonyms_load
from services_portal.catalog.search.text import (
    CHINESE_RUN,
    LETTERS,
    chinese_phrases,
    chinese_words,
    english_words,
    initials_of,
    normalise,
    pinyin_syllables,
    segmenter_extend,
    stems,
    syllables_known,
    syllables_split,
)

# bm25s sets its logger to DEBUG when imported, which would log every index build in production.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# How much a match in each field counts: a word in the name says most about what a service is.
FIELD_WEIGHTS = {"name": 3.0, "topics": 1.5, "description": 1.0, "details": 0.5}

# How much each reading of a query counts beside the words as typed (1.0).
AS_PINYIN = 1.0  # gaoling: the person spelled the word
AS_SYNONYM = 0.8  # 老人 → 老年人: the word the catalog uses for what was said
AS_INITIALS = 0.8  # gljt
AS_HOMOPHONE = 0.7  # 高令 → 高龄
AS_TYPO = 0.7  # alowance → allowance
AS_INITIALS_START = 0.6  # glj, the start of gljt

# A service scoring under this share of the best one is left out: it matched only on a side reading.
MIN_SHARE_OF_BEST = 0.1

LONGEST_PHRASE = 8  # syllables or characters a pinyin or sound look-up spans
CODE_PREFIX = "#"


@dataclass(frozen=True)
class Document:
    id: int
    code: str
    fields: dict[str, str]


def document_of(service: ServiceItem) -> Document:
    """The text of a published service in both languages, by field (names of related rows prefetched)."""
    topics = [service.category.name_zh, service.category.name_en]
    topics += [text for event in service.life_events.all() for text in (event.name_zh, event.name_en)]
    topics += [text for bundle in service.bundles.all() for text in (bundle.name_zh, bundle.name_en)]
    topics += [service.department.name_zh, service.department.name_en]
    details = [text for criterion in service.criteria.all() for text in (criterion.label_zh, criterion.label_en)]
    details += [service.benefit_note_zh, service.benefit_note_en]
    return Document(
        id=service.pk,
        code=service.code,
        fields={
            "name": f"{service.name_zh}\n{service.name_en}",
            "topics": "\n".join(topics),
            "description": f"{service.description_zh}\n{service.description_en}",
            "details": "\n".join(details),
        },
    )


@dataclass
class PinyinReading:
    phrases: list[str]
    """Catalog phrases the words spell."""
    words: set[str]
    """The words that spelled one: not English typos."""


class CatalogIndex:
    def __init__(self, documents: list[Document], synonyms: Synonyms) -> None:
        segmenter_extend(synonyms.chinese_words)
        self.synonyms = synonyms
        self.ids = [document.id for document in documents]
        self.rankers: dict[str, bm25s.BM25] = {}
        self.vocabulary: set[str] = set()
        english: set[str] = set()
        for field in FIELD_WEIGHTS:
            corpus = [self.terms(document.fields[field]) for document in documents]
            if field == "name":
                for terms, document in zip(corpus, documents, strict=True):
                    terms.append(CODE_PREFIX + document.code)
            ranker = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
            ranker.index(corpus, show_progress=False)
            self.rankers[field] = ranker
            self.vocabulary.update(term for terms in corpus for term in terms)
            for document in documents:
                english.update(LETTERS.findall(normalise(document.fields[field])))
        self.english_words = sorted(english)
        self._phrases_index(documents)

    def _phrases_index(self, documents: list[Document]) -> None:
        """The Chinese phrases a pinyin or initials query may name, by their pinyin and their initials:
        the catalog's words, runs of up to four words of names and topics, and the synonyms file's words."""
        phrases = {term for term in self.vocabulary if len(term) > 1 and CHINESE_RUN.fullmatch(term)}
        phrases |= self.synonyms.chinese_words
        for document in documents:
            for field in ("name", "topics"):
                for run in CHINESE_RUN.findall(document.fields[field]):
                    phrases.update(phrase for phrase in chinese_phrases(run) if len(phrase) > 1)
        self.phrases = phrases
        self.by_pinyin: dict[str, set[str]] = defaultdict(set)
        self.by_initials: dict[str, set[str]] = defaultdict(set)
        for phrase in phrases:
            syllables = pinyin_syllables(phrase)
            self.by_pinyin["".join(syllables)].add(phrase)
            self.by_initials[initials_of(syllables)].add(phrase)
        syllables_known()  # read once now rather than in the first query
        self.pinyin_keys = [key for key in self.by_pinyin if len(key) >= 4]
        self.initials_sorted = sorted(self.by_initials)

    def terms(self, text: str) -> list[str]:
        """Chinese words and English stems of `text`, stopwords left out."""
        text = normalise(text)
        stopwords = self.synonyms.stopwords
        terms = [word for run in CHINESE_RUN.findall(text) for word in chinese_words(run) if word not in stopwords]
        words = english_words(CHINESE_RUN.sub(" ", text))
        return terms + [stem for stem in stems(words) if stem not in stopwords]

    def query_weights(self, query: str) -> dict[str, float]:
        """Every term a query may mean, with how much it counts."""
        text = normalise(query).strip()
        weights: dict[str, float] = {CODE_PREFIX + text: 1.0}

        def add(phrase: str, weight: float) -> None:
            for term in self.terms(phrase):
                weights[term] = max(weights.get(term, 0.0), weight)

        def add_with_synonyms(phrase: str, weight: float) -> None:
            add(phrase, weight)
            for said in self.synonyms.chinese_expand(phrase):
                add(said, weight * AS_SYNONYM)

        add(text, 1.0)
        for said in self.synonyms.chinese_expand(text):
            add(said, AS_SYNONYM)
        words = english_words(CHINESE_RUN.sub(" ", text))
        for said in self.synonyms.english_expand(stems(words)):
            add(said, AS_SYNONYM)
        for phrase in self._homophones(text):
            add_with_synonyms(phrase, AS_HOMOPHONE)
        read_as_pinyin = self._pinyin_phrases(words)
        for phrase in read_as_pinyin.phrases:
            add_with_synonyms(phrase, AS_PINYIN)
        for word in words:
            if not LETTERS.fullmatch(word):
                continue
            for phrase, weight in self._initials_phrases(word):
                add_with_synonyms(phrase, weight)
            if len(word) >= 4 and word not in read_as_pinyin.words and stems([word])[0] not in self.vocabulary:
                for phrase in self._typo_readings(word):
                    add_with_synonyms(phrase, AS_TYPO)
        return weights

    def _homophones(self, text: str) -> list[str]:
        """Catalog phrases that sound like a stretch of the query the catalog does not know as written."""
        found: list[str] = []
        for run in CHINESE_RUN.findall(text):
            syllables = pinyin_syllables(run)
            if len(syllables) != len(run):
                continue
            for start in range(len(run)):
                for end in range(start + 2, min(len(run), start + LONGEST_PHRASE) + 1):
                    written = run[start:end]
                    if written in self.phrases or written in self.vocabulary:
                        continue
                    found.extend(self.by_pinyin.get("".join(syllables[start:end]), ()))
        return found

    def _pinyin_phrases(self, words: list[str]) -> PinyinReading:
        """Catalog phrases spelled by the query's Latin words read as pinyin, across spaces (yuer butie)."""
        reading = PinyinReading(phrases=[], words=set())
        runs: list[list[tuple[str, list[str]]]] = [[]]
        for word in words:
            syllables = syllables_split(word) if LETTERS.fullmatch(word) else None
            if syllables:
                runs[-1].append((word, syllables))
            elif runs[-1]:
                runs.append([])
        for run in runs:
            syllables = [syllable for _, syllable_list in run for syllable in syllable_list]
            owner = [word for word, syllable_list in run for _ in syllable_list]
            for start in range(len(syllables)):
                for end in range(start + 2, min(len(syllables), start + LONGEST_PHRASE) + 1):
                    phrases = self.by_pinyin.get("".join(syllables[start:end]))
                    if phrases:
                        reading.phrases.extend(phrases)
                        reading.words.update(owner[start:end])
        return reading

    def _initials_phrases(self, word: str) -> list[tuple[str, float]]:
        """Phrases whose initials are `word` (gljt) and, for three letters or more, those whose initials begin
        with it (glj: 高龄津贴 as well as 管理局)."""
        found = [(phrase, AS_INITIALS) for phrase in self.by_initials.get(word, ())] if len(word) >= 2 else []
        if len(word) < 3:
            return found
        position = bisect.bisect_right(self.initials_sorted, word)
        while position < len(self.initials_sorted) and self.initials_sorted[position].startswith(word):
            found.extend((phrase, AS_INITIALS_START) for phrase in self.by_initials[self.initials_sorted[position]])
            position += 1
        return found

    def _typo_readings(self, word: str) -> list[str]:
        """Catalog words one typo away (a letter missing, extra, wrong or two swapped), in English or pinyin."""
        found = [
            match for match, _, _ in process.extract(word, self.english_words, scorer=OSA.distance, score_cutoff=1)
        ]
        for key, _, _ in process.extract(word, self.pinyin_keys, scorer=OSA.distance, score_cutoff=1):
            found.extend(self.by_pinyin[key])
        return found

    def rank(self, query: str) -> list[tuple[int, float]]:
        """Service ids with their scores, best first; empty when no term of the query is in the catalog."""
        weights = {term: weight for term, weight in self.query_weights(query).items() if term in self.vocabulary}
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for field, ranker in self.rankers.items():
            for term, weight in weights.items():
                if term in ranker.vocab_dict:
                    scores += FIELD_WEIGHTS[field] * weight * ranker.get_scores([term])
        if not scores.any():
            return []
        order = np.argsort(-scores, kind="stable")
        floor = scores[order[0]] * MIN_SHARE_OF_BEST
        return [(self.ids[position], float(scores[position])) for position in order if scores[position] > floor]


_built: tuple[tuple, CatalogIndex] | None = None
_building = threading.Lock()


def catalog_index() -> CatalogIndex:
    """The index of the published catalog, built once per process and again when a published service is
    added, changed, unpublished or removed (the key is their ids and update times: one small query)."""
    global _built
    key = tuple(ServiceItem.objects.filter(is_published=True).order_by("pk").values_list("pk", "updated_at"))
    with _building:
        if _built is None or _built[0] != key:
            services = (
                ServiceItem.objects.filter(is_published=True)
                .select_related("category", "department")
                .prefetch_related("life_events", "bundles", "criteria")
                .order_by("category__code", "code")
            )
            _built = (key, CatalogIndex([document_of(service) for service in services], synonyms_load()))
        return _built[1]
