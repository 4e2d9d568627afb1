"""How much value a pair of guests can give each other, and the reasons in plain words.

Pure code, no database: the engine and the benchmark call it directly. Free text is compared with a
TF-IDF model fitted on the gathering's own intents (English stemming, no network, no download), so
"intros to climate VCs" meets "looking for investors in climate tech" through shared stems, and a
shared topic tag counts most.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import snowballstemmer
from scipy import sparse

#: a shared tag between an offer and a seek
TAG_WEIGHT = 1.0
#: cosine similarity of the offer's and the seek's free text
TEXT_WEIGHT = 1.0
#: a direction counts as "value flows" from this value up (a tag match alone, or close text)
POSITIVE = 0.35
#: mutual benefit beats a one-way ask: this share of the weaker direction is added when both flow
RECIPROCITY_BONUS = 1.0
#: different fields, and different organisations
FIELD_BONUS = 1.0
ORGANISATION_BONUS = 0.2
#: the two people already met at one of this organiser's earlier gatherings
PREVIOUS_PENALTY = 1.5

_STOPWORDS = frozenset(
    "a an and are as at be by can for from have help i in into is it looking me my of on or our "
    "seek seeking so some that the their them to us want we who with would you your".split()
)
_WORD = re.compile(r"[a-z0-9]+")
#: normalisation of words that mean the same in networking asks (after stemming)
_SYNONYMS = {
    "vc": "investor", "vcs": "investor", "angel": "investor", "funder": "investor", "backer": "investor",
    "fundrais": "fund", "funding": "fund", "financ": "fund", "capit": "fund",
    "recruit": "hire", "hiring": "hire", "talent": "hire", "candid": "hire",
    "ux": "design", "ui": "design", "critiqu": "feedback", "review": "feedback",
    "intro": "introduct", "introduc": "introduct", "connect": "introduct",
    "gtm": "market", "sale": "market", "sell": "market", "pricing": "price",
    "dev": "develop", "engin": "develop", "programm": "develop", "code": "develop", "coder": "develop",
    "startup": "compani", "firm": "compani", "mentor": "advic", "advis": "advic", "guidanc": "advic",
}
_stemmer = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Intent:
    tag: str
    text: str = ""

    @property
    def label(self) -> str:
        """What to call it in a sentence: the guest's own words, else the topic."""
        return self.text.strip() or f"help with {self.tag}"


@dataclass
class Guest:
    id: int
    name: str
    person_id: int | None = None
    field: str = ""
    organisation: str = ""
    offers: list[Intent] = dataclasses.field(default_factory=list)
    seeks: list[Intent] = dataclasses.field(default_factory=list)

    @property
    def has_intents(self) -> bool:
        return bool(self.offers or self.seeks)


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    stem = _stemmer.stemWord(word)
    return _SYNONYMS.get(word, _SYNONYMS.get(stem, stem))


@lru_cache(maxsize=20_000)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-cased, stop words dropped, stemmed (so "investors" meets "investor")."""
    return tuple(_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS)


class TextModel:
    """TF-IDF over the gathering's own intents, rows L2-normalised."""

    def __init__(self, documents: list[str]):
        self.vocabulary: dict[str, int] = {}
        counts = [Counter(tokens(doc)) for doc in documents]
        df: Counter = Counter()
        for count in counts:
            df.update(count.keys())
        for term in sorted(df):
            self.vocabulary[term] = len(self.vocabulary)
        n = max(len(documents), 1)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in sorted(df)]) if df else np.zeros(0)

    def matrix(self, documents: list[str]) -> sparse.csr_matrix:
        rows, cols, values = [], [], []
        for row, doc in enumerate(documents):
            for term, tf in Counter(tokens(doc)).items():
                col = self.vocabulary.get(term)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
                    values.append((1 + math.log(tf)) * self.idf[col])
        shape = (len(documents), max(len(self.vocabulary), 1))
        mat = sparse.csr_matrix((values, (rows, cols)), shape=shape)
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1 / norms) @ mat)


class Scorer:
    """Directional values and pair scores for one gathering's guests (indexed 0..n-1)."""

    def __init__(self, guests: list[Guest], previous: set[frozenset] | None = None):
        self.guests = guests
        self.index = {guest.id: i for i, guest in enumerate(guests)}
        self.previous = previous or set()
        self._offers = [(g, o) for g, guest in enumerate(guests) for o in guest.offers]
        self._seeks = [(g, s) for g, guest in enumerate(guests) for s in guest.seeks]
        self._offers_of: dict[int, list[int]] = {}
        self._seeks_of: dict[int, list[int]] = {}
        for i, (g, _) in enumerate(self._offers):
            self._offers_of.setdefault(g, []).append(i)
        for i, (g, _) in enumerate(self._seeks):
            self._seeks_of.setdefault(g, []).append(i)
        self.direction = self._directional()
        self.pair = self._pair_scores()

    def _directional(self) -> np.ndarray:
        """value[a, b] = how well a's best offer meets one of b's seeks (0 when nothing meets)."""
        n = len(self.guests)
        value = np.zeros((n, n))
        if not self._offers or not self._seeks:
            return value
        model = TextModel([i.text for _, i in self._offers] + [i.text for _, i in self._seeks])
        self._o_vec = model.matrix([i.text for _, i in self._offers])
        self._s_vec = model.matrix([i.text for _, i in self._seeks])
        text = (self._o_vec @ self._s_vec.T).toarray()
        o_tags = np.array([i.tag for _, i in self._offers], dtype=object)
        s_tags = np.array([i.tag for _, i in self._seeks], dtype=object)
        match = TAG_WEIGHT * (o_tags[:, None] == s_tags[None, :]) + TEXT_WEIGHT * text
        o_owner = np.array([g for g, _ in self._offers])
        s_owner = np.array([g for g, _ in self._seeks])
        # Intents are listed guest by guest, so each guest's rows (columns) are one contiguous run.
        o_starts = np.flatnonzero(np.r_[True, o_owner[1:] != o_owner[:-1]])
        s_starts = np.flatnonzero(np.r_[True, s_owner[1:] != s_owner[:-1]])
        by_giver = np.maximum.reduceat(match, o_starts, axis=0)
        by_pair = np.maximum.reduceat(by_giver, s_starts, axis=1)
        value[np.ix_(o_owner[o_starts], s_owner[s_starts])] = by_pair
        np.fill_diagonal(value, 0.0)
        return value

    @staticmethod
    def _row(mat: sparse.csr_matrix, i: int) -> dict[int, float]:
        start, end = mat.indptr[i], mat.indptr[i + 1]
        return dict(zip(mat.indices[start:end].tolist(), mat.data[start:end].tolist()))

    def _intent_match(self, o: int, s: int) -> float:
        offer, seek = self._offers[o][1], self._seeks[s][1]
        ov, sv = self._row(self._o_vec, o), self._row(self._s_vec, s)
        cosine = sum(weight * sv.get(term, 0.0) for term, weight in ov.items())
        return TAG_WEIGHT * (offer.tag == seek.tag) + TEXT_WEIGHT * cosine

    def _best(self, a: int, b: int) -> tuple[Intent, Intent]:
        """The offer of a and the seek of b that meet best."""
        o, s = max(((o, s) for o in self._offers_of[a] for s in self._seeks_of[b]),
                   key=lambda pair: self._intent_match(*pair))
        return self._offers[o][1], self._seeks[s][1]

    def _pair_scores(self) -> np.ndarray:
        v, vt = self.direction, self.direction.T
        both = (v >= POSITIVE) & (vt >= POSITIVE)
        score = v + vt + RECIPROCITY_BONUS * np.minimum(v, vt) * both
        fields = np.array([g.field.strip().lower() for g in self.guests], dtype=object)
        orgs = np.array([g.organisation.strip().lower() for g in self.guests], dtype=object)
        score += FIELD_BONUS * ((fields[:, None] != fields[None, :]) & (fields[:, None] != "") & (fields[None, :] != ""))
        score += ORGANISATION_BONUS * ((orgs[:, None] != orgs[None, :]) & (orgs[:, None] != "") & (orgs[None, :] != ""))
        for a, b in self._previous_indices():
            score[a, b] -= PREVIOUS_PENALTY
            score[b, a] -= PREVIOUS_PENALTY
        np.fill_diagonal(score, 0.0)
        return score

    def _previous_indices(self):
        by_person: dict[int, list[int]] = {}
        for i, guest in enumerate(self.guests):
            if guest.person_id is not None:
                by_person.setdefault(guest.person_id, []).append(i)
        for pair in self.previous:
            people = list(pair)
            if len(people) == 2:
                for a in by_person.get(people[0], []):
                    for b in by_person.get(people[1], []):
                        yield a, b

    # -- one pair, by guest id ------------------------------------------------------------------
    def score(self, a_id: int, b_id: int) -> float:
        return float(self.pair[self.index[a_id], self.index[b_id]])

    def flows(self, a_id: int, b_id: int) -> bool:
        """Value flows from a to b."""
        return bool(self.direction[self.index[a_id], self.index[b_id]] >= POSITIVE)

    def reciprocal(self, a_id: int, b_id: int) -> bool:
        return self.flows(a_id, b_id) and self.flows(b_id, a_id)

    def best_offer(self, a_id: int, b_id: int) -> Intent | None:
        """What a can give b: a's offer that best meets one of b's seeks, when value flows (else None)."""
        if not self.flows(a_id, b_id):
            return None
        return self._best(self.index[a_id], self.index[b_id])[0]

    def reasons(self, ids: list[int], must: bool = False) -> list[str]:
        """The conversation's reasons, each a plain sentence (pairs and trios)."""
        found = [self._direction_reason(a, b) for a in ids for b in ids if a != b]
        found = [reason for reason in found if reason]
        found += self._difference_reasons(ids)
        if must:
            found.insert(0, "the organiser asked for this meeting")
        if not any(self.flows(a, b) for a in ids for b in ids if a != b):
            found.append("no direct offer-seek match; planned so everyone has a conversation")
        return found

    def _direction_reason(self, a_id: int, b_id: int) -> str | None:
        a, b = self.index[a_id], self.index[b_id]
        if self.direction[a, b] < POSITIVE:
            return None
        offer, seek = self._best(a, b)
        giver, taker = self.guests[a].name, self.guests[b].name
        if offer.tag == seek.tag:
            return f"{giver} offers {offer.label}, which {taker} seeks"
        return f"{giver} offers {offer.label}, close to what {taker} seeks ({seek.label})"

    def _difference_reasons(self, ids: list[int]) -> list[str]:
        members = [self.guests[self.index[i]] for i in ids]
        fields = [m.field.strip() for m in members]
        reasons = []
        if all(fields) and len({f.lower() for f in fields}) == len(fields):
            reasons.append(f"different fields ({', '.join(f.lower() for f in fields)})")
        persons = [m.person_id for m in members]
        if any(frozenset((p, q)) in self.previous for p in persons for q in persons if p != q):
            reasons.append("already met at one of your earlier gatherings")
        return reasons
