"""Text for the scale generator that reads like an analyst's log.

The words come from the bundled indicator set (indicators/*.toml): its questions, observation
summaries, quotes and notes. A word-pair (bigram) model trained on them writes a pool of new
sentences, so common words are as common as in real notes and searches hit realistic numbers
of observations. Names made of syllables stand in for the long tail of people, places and
outlets a real archive holds, so rare words find a handful of observations, not none.
"""

from __future__ import annotations

import itertools
import random
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent.parent / "indicators" / "russia-ukraine-2025-12.toml"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\s]+")
_SYLLABLES = [
    "ka", "ri", "mo", "sha", "len", "dor", "vik", "tan", "bel", "pol", "ser", "gra", "nov",
    "lin", "ast", "mir", "zel", "kov", "dan", "bar", "ros", "tel", "ven", "hal", "mar", "ost",
    "yar", "lev", "pet", "ban", "sor", "kal", "ner", "dim", "vol", "gor", "bra",
]  # fmt: skip


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def training_sentences(path: Path = BUNDLED) -> list[list[str]]:
    """The bundled set's prose, as sentences of words (punctuation kept on the words)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sentences: list[list[str]] = []
    for text in _texts(data):
        for sentence in _SENTENCE_END.split(text.strip()):
            words = _WORD.findall(sentence)
            if len(words) >= 4:
                sentences.append(words)
    return sentences


class Corpus:
    """Sentences and names drawn reproducibly from one random generator."""

    def __init__(self, rng: random.Random, *, pool_size: int = 20_000, names: int = 5_000) -> None:
        sentences = training_sentences()
        follows: dict[str, list[str]] = defaultdict(list)
        starts: list[str] = []
        for words in sentences:
            starts.append(words[0])
            for before, after in itertools.pairwise(words):
                follows[before].append(after)
        self.names = sorted({_name(rng) for _ in range(names)})
        self.sentences = [_sentence(rng, starts, follows) for _ in range(pool_size)]

    def paragraph(self, rng: random.Random, sentences: int) -> str:
        """Some pool sentences, now and then with a name from the long tail put in."""
        chosen = rng.choices(self.sentences, k=sentences)
        if rng.random() < 0.6:
            index = rng.randrange(len(chosen))
            chosen[index] = f"{rng.choice(self.names)}: {chosen[index]}"
        return " ".join(chosen)

    def title(self, rng: random.Random, words: int = 6) -> str:
        sentence = rng.choice(self.sentences).rstrip(".!?").split()
        return " ".join(sentence[:words]).strip(",;:") or "Untitled"


def _name(rng: random.Random) -> str:
    return "".join(rng.choices(_SYLLABLES, k=rng.choice((2, 3)))).capitalize()


def _sentence(rng: random.Random, starts: list[str], follows: dict[str, list[str]]) -> str:
    words = [rng.choice(starts)]
    while len(words) < 40:
        options = follows.get(words[-1])
        if not options or (len(words) >= 8 and words[-1][-1] in ".!?"):
            break
        words.append(rng.choice(options))
    text = " ".join(words)
    return text if text[-1] in ".!?" else text.rstrip(",;:") + "."
