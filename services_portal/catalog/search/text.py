"""Text into search terms: Chinese words, English stems, and the pinyin and initials of Chinese phrases.

Chinese is segmented by rjieba (the Rust port of jieba, with jieba's dictionary) in its search mode, which
also gives the shorter words inside a long one (老年人 → 老年, 老年人). English words are reduced to their
Snowball stems (PyStemmer), so "allowances" finds "allowance". Both the catalog and the queries go through
the same functions: a term means the same on either side.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import rjieba
import Stemmer
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

CHINESE_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
LETTERS = re.compile(r"[a-z]+")

# Longer spellings first matter only for reading; the splitter tries every length.
LONGEST_SYLLABLE = 6

_stemmer = Stemmer.Stemmer("english")


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def segmenter_extend(words: Iterable[str]) -> None:
    """Teach the segmenter words it would otherwise cut apart (生孩子, 公租房). The segmenter is rjieba's one
    per process, used for nothing but search: the catalog and the queries are cut with the same words."""
    for word in words:
        if not rjieba.has_word(word):
            rjieba.add_word(word, None, None)


def chinese_words(run: str) -> list[str]:
    """The words of a run of Chinese characters, the shorter ones inside long words included."""
    return [word for word in rjieba.cut_for_search(run) if word.strip()]


def chinese_phrases(run: str, *, longest: int = 4) -> list[str]:
    """Consecutive words of a run joined, up to `longest` words: what a pinyin or initials query may name."""
    words = [word for word in rjieba.cut(run) if word.strip()]
    return [
        "".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + longest) + 1)
    ]


def english_words(text: str) -> list[str]:
    return LATIN_WORD.findall(text)


def stems(words: list[str]) -> list[str]:
    return _stemmer.stemWords(words)


def pinyin_syllables(phrase: str) -> list[str]:
    """高龄津贴 → gao ling jin tie (without tones; ü as v, as pinyin keyboards type it)."""
    return lazy_pinyin(phrase, style=Style.NORMAL, v_to_u=False)


def initials_of(syllables: list[str]) -> str:
    """gao ling jin tie → gljt: the first letter of each syllable, as people type a name they know."""
    return "".join(syllable[0] for syllable in syllables)


@functools.cache
def syllables_known() -> frozenset[str]:
    """Every toneless pinyin syllable, from pypinyin's own table of characters."""
    readings = {reading for readings in PINYIN_DICT.values() for reading in readings.split(",")}
    return frozenset(to_normal(reading, v_to_u=False) for reading in readings)


def syllables_split(letters: str) -> list[str] | None:
    """gaolingjintie → gao ling jin tie: the split into the fewest syllables, or None when the letters are not
    pinyin at all (most English words)."""
    known = syllables_known()
    best: list[list[str] | None] = [[]] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - LONGEST_SYLLABLE), end):
            before = best[start]
            if before is not None and letters[start:end] in known:
                candidate = [*before, letters[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(letters)]
