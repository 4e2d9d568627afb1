"""Benchmark of conversation planning against baselines (random, greedy by score, similarity).

Synthetic gatherings with a fixed seed: guests in a few fields, each with offers and seeks on the
gathering's tags. Half of the guests form known complementary pairs (across fields): A offers what B
seeks and B offers what A seeks, on a specific subject, written in different (paraphrased) words.
Everyone else gets random intents. Prints a table; the last line is one JSON object.

    python bench/matching.py
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventkit.matching.engine import Settings, plan  # noqa: E402
from eventkit.matching.scoring import Guest, Intent, Scorer, TextModel  # noqa: E402

SEED = 20261123
ROUNDS = 5
SIZES = (24, 80, 200, 1000)
FIELDS = ["Climate", "Developer tools", "Design", "Finance", "Health"]
#: tag -> (ways of offering, ways of seeking), {s} is the specific subject
TOPICS = {
    "Fundraising": (["intros to {s} investors", "warm introductions to {s} VCs", "seed-stage fundraising intros in {s}"],
                    ["looking for investors in {s}", "need funding contacts for {s}", "raising a seed round for {s}"]),
    "Hiring": (["can refer senior {s} engineers", "know great {s} candidates", "recruiting network for {s} roles"],
               ["hiring {s} engineers", "need to recruit {s} people", "looking for a {s} hire"]),
    "Rust": (["Rust code review for {s}", "reviewing Rust services in {s}", "Rust mentoring on {s}"],
             ["Rust reviewer for {s} code", "help with Rust in {s}", "looking for Rust advice on {s}"]),
    "Design feedback": (["design critique of {s} products", "UX review for {s} apps", "feedback on {s} interfaces"],
                        ["feedback on our {s} design", "UX critique for a {s} product", "design review of {s} screens"]),
    "Climate policy": (["explaining {s} regulation", "policy contacts in {s}", "briefings on {s} rules"],
                       ["understanding {s} regulation", "policy advice on {s}", "making sense of {s} rules"]),
    "Go-to-market": (["pricing advice for {s} startups", "sales playbooks in {s}", "go-to-market help for {s}"],
                     ["pricing our {s} product", "first sales in {s}", "launch plan for {s}"]),
}
SUBJECTS = ["solar", "battery", "hydrogen", "carbon", "grid", "wind", "compiler", "database", "browser", "payments",
            "lending", "insurance", "clinic", "diagnostics", "genomics", "tutoring", "school", "housing", "transit",
            "farming", "water", "recycling", "shipping", "aviation", "robotics", "drone", "satellite", "security",
            "privacy", "analytics", "telehealth", "fintech", "edtech", "biotech", "retail", "logistics", "textile",
            "steel", "cement", "forestry"]


def synthetic(n: int, rng: random.Random) -> tuple[list[Guest], set[frozenset]]:
    tags = list(TOPICS)
    guests = [Guest(i, f"Guest {i}", person_id=i, field=FIELDS[i % len(FIELDS)], organisation=f"Org {i // 2}")
              for i in range(n)]
    known: set[frozenset] = set()
    order = list(range(n))
    rng.shuffle(order)
    planted = order[: n // 2 - (n // 2) % 2]
    for a, b in zip(planted[0::2], planted[1::2]):
        if guests[a].field == guests[b].field:
            guests[b].field = FIELDS[(FIELDS.index(guests[a].field) + 1) % len(FIELDS)]
        t1, t2 = rng.sample(tags, 2)
        s1, s2 = rng.sample(SUBJECTS, 2)
        guests[a].offers.append(_intent(t1, s1, 0, rng))
        guests[b].seeks.append(_intent(t1, s1, 1, rng))
        guests[b].offers.append(_intent(t2, s2, 0, rng))
        guests[a].seeks.append(_intent(t2, s2, 1, rng))
        known.add(frozenset((a, b)))
    for guest in guests:
        while len(guest.offers) < 2:
            guest.offers.append(_intent(rng.choice(tags), rng.choice(SUBJECTS), 0, rng))
        while len(guest.seeks) < 2:
            guest.seeks.append(_intent(rng.choice(tags), rng.choice(SUBJECTS), 1, rng))
    return guests, known


def _intent(tag: str, subject: str, side: int, rng: random.Random) -> Intent:
    return Intent(tag, rng.choice(TOPICS[tag][side]).format(s=subject))


# -- baselines: each returns rounds of pairs (index pairs) --------------------------------------------
def rounds_by(weight: np.ndarray, rounds: int) -> list[list[tuple[int, int]]]:
    """Greedy per round on `weight`, never repeating a pair."""
    n = len(weight)
    used = np.eye(n, dtype=bool)
    order = np.dstack(np.unravel_index(np.argsort(-np.triu(weight, 1), axis=None), weight.shape))[0]
    order = [(int(a), int(b)) for a, b in order if a < b]
    out = []
    for _ in range(rounds):
        busy, pairs = set(), []
        for a, b in order:
            if a in busy or b in busy or used[a, b]:
                continue
            pairs.append((a, b))
            busy |= {a, b}
            used[a, b] = used[b, a] = True
        out.append(pairs)
    return out


def random_rounds(n: int, rounds: int, rng: random.Random):
    used, out = set(), []
    for _ in range(rounds):
        people = list(range(n))
        rng.shuffle(people)
        pairs = []
        while len(people) >= 2:
            a = people.pop()
            for j, b in enumerate(people):
                if frozenset((a, b)) not in used:
                    people.pop(j)
                    pairs.append((a, b))
                    used.add(frozenset((a, b)))
                    break
        out.append(pairs)
    return out


def similarity_matrix(guests: list[Guest]) -> np.ndarray:
    docs = [" ".join([g.field] + [i.tag + " " + i.text for i in g.offers + g.seeks]) for g in guests]
    vec = TextModel(docs).matrix(docs)
    return (vec @ vec.T).toarray()


def metrics(rounds, scorer: Scorer, known: set[frozenset], guests: list[Guest]) -> dict:
    pairs = [(a, b) for r in rounds for group in r for a, b in _pairs_of(group)]
    keys = [frozenset(p) for p in pairs]
    per_guest = np.zeros(len(guests), dtype=int)
    for r in rounds:
        for group in r:
            for m in group:
                per_guest[m] += 1
    d = scorer.direction
    return {
        "reciprocity": float(np.mean([d[a, b] >= 0.35 and d[b, a] >= 0.35 for a, b in pairs])),
        "diversity": float(np.mean([guests[a].field != guests[b].field for a, b in pairs])),
        "recovered": len(known & set(keys)) / max(len(known), 1),
        "fairness_min": int(per_guest.min()),
        "repeats": len(keys) - len(set(keys)),
    }


def _pairs_of(group):
    return [(group[i], group[j]) for i in range(len(group)) for j in range(i + 1, len(group))]


def exact_optimum(scorer: Scorer) -> float:
    graph = nx.Graph()
    n = len(scorer.guests)
    graph.add_weighted_edges_from((a, b, float(scorer.pair[a, b])) for a in range(n) for b in range(a + 1, n)
                                  if scorer.pair[a, b] > 0)
    return sum(scorer.pair[a, b] for a, b in nx.max_weight_matching(graph))


def run(n: int, rng: random.Random) -> dict:
    guests, known = synthetic(n, rng)
    settings = Settings(rounds=ROUNDS, cap=ROUNDS, odd="rest")
    started = time.perf_counter()
    result = plan(guests, settings)
    seconds = time.perf_counter() - started
    scorer = result.scorer
    ours = [[g.members for g in result.groups if g.round == r] for r in range(1, ROUNDS + 1)]
    row = {"n": n, "plan_s": seconds, **metrics(ours, scorer, known, guests)}
    if n <= 200:
        first = sum(g.score for g in result.groups if g.round == 1)
        row["optimum_ratio"] = first / exact_optimum(scorer)
    baselines = {
        "random": random_rounds(n, ROUNDS, rng),
        "greedy": rounds_by(scorer.pair, ROUNDS),
        "similarity": rounds_by(similarity_matrix(guests), ROUNDS),
    }
    for name, rounds in baselines.items():
        row[name] = metrics(rounds, scorer, known, guests)
        if n <= 200:
            row[name]["optimum_ratio"] = sum(scorer.pair[p] for p in rounds[0]) / exact_optimum(scorer)
    return row


def n_ok(row: dict) -> bool:
    return row["n"] <= 200


def main() -> None:
    rng = random.Random(SEED)
    rows = [run(n, rng) for n in SIZES]
    print("| N | method | reciprocity | diversity | recovered | fairness min | repeats | optimum ratio | plan s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = f"{row['optimum_ratio']:.4f}" if "optimum_ratio" in row else "n/a"
        print(f"| {row['n']} | eventkit | {row['reciprocity']:.3f} | {row['diversity']:.3f} | {row['recovered']:.3f} "
              f"| {row['fairness_min']} | {row['repeats']} | {ratio} | {row['plan_s']:.3f} |")
        for name in ("greedy", "similarity", "random"):
            m = row[name]
            ratio = f"{m['optimum_ratio']:.4f}" if "optimum_ratio" in m else "n/a"
            print(f"| {row['n']} | {name} | {m['reciprocity']:.3f} | {m['diversity']:.3f} | {m['recovered']:.3f} "
                  f"| {m['fairness_min']} | {m['repeats']} | {ratio} | |")
    summary = {
        "optimum_ratio_min": round(min(r["optimum_ratio"] for r in rows if "optimum_ratio" in r), 4),
        "fairness_min": min(r["fairness_min"] for r in rows),
        "repeats": sum(r["repeats"] for r in rows),
        "plan_80x5_s": round(next(r["plan_s"] for r in rows if r["n"] == 80), 4),
        "plan_1000x5_s": round(next(r["plan_s"] for r in rows if r["n"] == 1000), 3),
    }
    for name in ("similarity", "greedy", "random"):
        summary[f"{name}_optimum_ratio_min"] = round(min(r[name]["optimum_ratio"] for r in rows if n_ok(r)), 4)
    for key in ("reciprocity", "diversity", "recovered"):
        summary[key] = round(float(np.mean([r[key] for r in rows])), 4)
        for name in ("similarity", "greedy", "random"):
            summary[f"{name}_{key}"] = round(float(np.mean([r[name][key] for r in rows])), 4)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
