"""The planning engine on hand-built gatherings whose best plan is known (no database)."""
from __future__ import annotations

from itertools import combinations

from eventkit.matching.engine import Settings, approximate_matching, exact_matching, plan
from eventkit.matching.scoring import Guest, Intent, Scorer, tokens


def guest(i, name, field, offers=(), seeks=(), org=None, person=None):
    return Guest(i, name, person_id=person or i, field=field, organisation=org or f"Org {i}",
                 offers=[Intent(*o) for o in offers], seeks=[Intent(*s) for s in seeks])


def four():
    """Ana<->Ben and Cleo<->Dev are each perfectly complementary across fields."""
    return [
        guest(1, "Ana", "Climate", [("Fundraising", "seed-stage fundraising intros")], [("Rust", "Rust code review")]),
        guest(2, "Ben", "Developer tools", [("Rust", "Rust code review")], [("Fundraising", "seed-stage fundraising intros")]),
        guest(3, "Cleo", "Design", [("Hiring", "intros to senior designers")], [("Go-to-market", "pricing advice")]),
        guest(4, "Dev", "Finance", [("Go-to-market", "pricing advice for startups")], [("Hiring", "hiring designers")]),
    ]


def pairs_of(result, round_no):
    return {frozenset(g.members) for g in result.groups if g.round == round_no}


def test_best_pairs_in_round_one_and_reasons_in_plain_words():
    result = plan(four(), Settings(rounds=1, cap=3))
    assert pairs_of(result, 1) == {frozenset({1, 2}), frozenset({3, 4})}
    ana_ben = next(g for g in result.groups if set(g.members) == {1, 2})
    assert ana_ben.reasons == [
        "Ana offers seed-stage fundraising intros, which Ben seeks",
        "Ben offers Rust code review, which Ana seeks",
        "different fields (climate, developer tools)",
    ]


def test_free_text_meets_across_words_with_stemming():
    guests = [
        guest(1, "Ana", "Climate", [("Fundraising", "intros to climate VCs")], []),
        guest(2, "Ben", "Energy", [("Hiring", "x")], [("Go-to-market", "looking for investors in climate tech")]),
        guest(3, "Cy", "Energy", [("Hiring", "y")], [("Design feedback", "logo critique")]),
    ]
    scorer = Scorer(guests)
    assert scorer.flows(1, 2) and not scorer.flows(1, 3)
    assert "close to what Ben seeks (looking for investors in climate tech)" in scorer.reasons([1, 2])[0]
    assert tokens("Investors investing") == ("investor", "invest")


def test_reciprocity_beats_one_way_and_diversity_beats_same_field():
    guests = [
        guest(1, "Ana", "Climate", [("Fundraising", "")], [("Rust", "")]),
        guest(2, "Ben", "Climate", [("Rust", "")], [("Fundraising", "")]),        # mutual, same field
        guest(3, "Cy", "Design", [("Rust", "")], [("Fundraising", "")]),          # mutual, other field
        guest(4, "Dee", "Finance", [("Hiring", "")], [("Fundraising", "")]),      # one-way ask
    ]
    scorer = Scorer(guests)
    assert scorer.score(1, 3) > scorer.score(1, 2) > scorer.score(1, 4)
    assert scorer.reciprocal(1, 3) and not scorer.reciprocal(1, 4)


def test_no_repeats_and_everyone_meets_everyone_once_over_three_rounds():
    result = plan(four(), Settings(rounds=3, cap=3))
    seen = [frozenset(g.members) for g in result.groups]
    assert len(seen) == len(set(seen)) == 6
    assert set(seen) == {frozenset(p) for p in combinations([1, 2, 3, 4], 2)}
    assert pairs_of(result, 1) == {frozenset({1, 2}), frozenset({3, 4})}


def test_cap_limits_conversations_per_guest():
    result = plan(four(), Settings(rounds=3, cap=2))
    assert max(sum(i in g.members for g in result.groups) for i in range(1, 5)) == 2


def test_never_pair_is_excluded_and_must_pair_goes_into_round_one():
    result = plan(four(), Settings(rounds=1, cap=3), never=[(1, 2)], must=[(1, 4)])
    assert pairs_of(result, 1) == {frozenset({1, 4}), frozenset({2, 3})}
    must = next(g for g in result.groups if set(g.members) == {1, 4})
    assert must.reasons[0] == "the organiser asked for this meeting"
    result = plan(four(), Settings(rounds=3, cap=3), never=[(1, 2)])
    assert frozenset({1, 2}) not in {frozenset(g.members) for g in result.groups}


def test_odd_count_trio_joins_the_best_table():
    guests = four() + [guest(5, "Eve", "Health", [("Rust", "Rust code review")], [("Fundraising", "seed-stage fundraising intros")])]
    result = plan(guests, Settings(rounds=1, cap=3, odd="trio"))
    groups = [set(g.members) for g in result.groups]
    assert len(groups) == 2 and sum(len(g) for g in groups) == 5
    assert any(len(g) == 3 and {1, 5} <= g for g in groups)


def test_odd_count_rest_rotates_so_nobody_rests_twice():
    guests = four() + [guest(5, "Eve", "Health", [("Hiring", "")], [("Rust", "")])]
    result = plan(guests, Settings(rounds=5, cap=5, odd="rest"))
    for round_no in range(1, 6):
        assert all(len(g.members) == 2 for g in result.groups if g.round == round_no)
    counts = [sum(i in g.members for g in result.groups) for i in range(1, 6)]
    assert sorted(counts) == [4, 4, 4, 4, 4]  # 10 pairs in 5 rounds: everyone meets everyone once
    assert len({frozenset(g.members) for g in result.groups}) == 10


def test_fairness_everyone_with_intents_meets_someone_in_round_one():
    # Ana and Ben are everybody's favourite; the rest only fit each other weakly.
    stars = [guest(1, "Ana", "Climate", [("Fundraising", "")], [("Rust", "")]),
             guest(2, "Ben", "Design", [("Rust", "")], [("Fundraising", "")])]
    others = [guest(i, f"G{i}", "Finance", [("Hiring", "")], [("Rust", ""), ("Fundraising", "")]) for i in range(3, 9)]
    result = plan(stars + others, Settings(rounds=2, cap=2))
    first = {m for g in result.groups if g.round == 1 for m in g.members}
    assert first == set(range(1, 9))
    counts = [sum(i in g.members for g in result.groups) for i in range(1, 9)]
    assert min(counts) == 2


def test_held_conversations_are_kept_out_of_later_rounds():
    result = plan(four(), Settings(rounds=3, cap=3, first_round=2), held=[(1, 2), (3, 4)])
    assert {g.round for g in result.groups} == {2, 3}
    assert frozenset({1, 2}) not in {frozenset(g.members) for g in result.groups}


def test_previous_pairs_are_penalised_and_explained():
    scorer = Scorer(four(), {frozenset({1, 2})})
    assert scorer.score(1, 2) < Scorer(four()).score(1, 2)
    assert "already met at one of your earlier gatherings" in scorer.reasons([1, 2])


def test_approximation_matches_the_exact_optimum_on_a_small_graph():
    import numpy as np

    rng = np.random.default_rng(7)
    x = rng.random((30, 30))
    w = (x + x.T) / 2
    np.fill_diagonal(w, -1e9)
    exact = sum(w[p] for p in exact_matching(w))
    approx = approximate_matching(w)
    assert len({m for p in approx for m in p}) == 2 * len(approx) == 30
    assert sum(w[p] for p in approx) >= 0.99 * exact
