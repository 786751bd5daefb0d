"""Which problems a run gets: reproducible from a seed, shaped like the seed page."""

from __future__ import annotations

import pytest

from bot.engine.selection import select_problems
from problems.loader import default_pack
from problems.model import DIFFICULTIES, KINDS, LEVELS, Pack
from tests.factories import make_problem

SEEDS = range(40)


def _levels(problems) -> list[int]:
    return [LEVELS.index(p.level) for p in problems]


def _big_challenge_pack() -> Pack:
    """Three challenge candidates per kind at mixed levels, plus practice problems."""
    problems = []
    number = 0
    for kind in KINDS:
        for level, difficulty in (
            ("intermediate", "medium"),
            ("advanced", "hard"),
            ("expert", "hard"),
        ):
            problems.append(make_problem(number, difficulty, kind, level))
            number += 1
    problems += [make_problem(100 + i, "easy") for i in range(5)]
    return Pack(id="big", title="Big", summary="s", problems=tuple(problems))


def _extra_problems():
    return tuple(make_problem(200 + i, DIFFICULTIES[i % 3]) for i in range(12))


def test_challenge_is_the_factory_packs_five_level_problems_in_level_order(pack: Pack) -> None:
    for seed in SEEDS:
        chosen = select_problems("challenge", pack.problems, seed)
        assert [p.id for p in chosen] == ["p0", "p1", "p2", "p3", "p4"]


def test_challenge_picks_one_per_kind_ordered_intermediate_to_expert() -> None:
    big = _big_challenge_pack()
    seen = set()
    for seed in SEEDS:
        chosen = select_problems("challenge", big.problems, seed)
        assert len(chosen) == 5
        assert sorted(p.kind for p in chosen) == sorted(KINDS)
        assert all(p.level is not None for p in chosen)
        assert _levels(chosen) == sorted(_levels(chosen))
        seen.add(tuple(p.id for p in chosen))
    assert len(seen) > 1  # the seed matters


def test_challenge_with_the_shipped_pack_is_one_timed_problem_of_each_kind() -> None:
    shipped = default_pack()
    seen: set[tuple[str, ...]] = set()
    for seed in SEEDS:
        chosen = select_problems("challenge", shipped.problems, seed)
        assert sorted(p.kind for p in chosen) == sorted(KINDS)
        assert all(p.level is not None for p in chosen)
        levels = [LEVELS.index(p.level) for p in chosen]
        assert levels == sorted(levels)
        seen.add(tuple(p.id for p in chosen))
    assert len(seen) > 1  # the bank is big enough for challenges to vary


def test_test_mode_gives_ten_distinct_problems_easy_to_hard(pack: Pack) -> None:
    for seed in SEEDS:
        chosen = select_problems("test", pack.problems, seed)
        assert len(chosen) == 10
        assert len({p.id for p in chosen}) == 10
        ranks = [DIFFICULTIES.index(p.difficulty) for p in chosen]
        assert ranks == sorted(ranks)
        counts = {d: sum(p.difficulty == d for p in chosen) for d in DIFFICULTIES}
        assert counts == {"easy": 3, "medium": 4, "hard": 3}


def test_test_mode_with_the_shipped_pack_spans_easy_medium_hard() -> None:
    shipped = default_pack()
    chosen = select_problems("test", shipped.problems, 3)
    assert len({p.id for p in chosen}) == 10
    assert [p.difficulty for p in chosen] == ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3


def test_test_mode_borrows_when_a_difficulty_is_short() -> None:
    problems = (
        *(make_problem(i, "hard") for i in range(8)),
        make_problem(50, "easy"),
        make_problem(51, "medium"),
    )
    chosen = select_problems("test", problems, 0)
    assert len({p.id for p in chosen}) == 10
    assert [p.difficulty for p in chosen[:2]] == ["easy", "medium"]


def test_a_small_pack_never_repeats_a_problem() -> None:
    problems = tuple(make_problem(i, "medium") for i in range(4))
    for mode in ("test", "practice", "learn", "challenge"):
        chosen = select_problems(mode, problems, 1)
        assert len(chosen) == len({p.id for p in chosen}) == 4


@pytest.mark.parametrize("mode", ["challenge", "test", "practice", "learn"])
def test_same_seed_same_problems(mode: str) -> None:
    big = Pack(
        id="x",
        title="x",
        summary="s",
        problems=(*_big_challenge_pack().problems, *_extra_problems()),
    )
    for seed in (0, 1, 99, 2**31):
        first = [p.id for p in select_problems(mode, big.problems, seed)]
        assert first == [p.id for p in select_problems(mode, big.problems, seed)]


@pytest.mark.parametrize("mode", ["test", "practice"])
def test_different_seeds_can_give_different_problems(pack: Pack, mode: str) -> None:
    picks = {tuple(p.id for p in select_problems(mode, pack.problems, s)) for s in SEEDS}
    assert len(picks) > 1


def test_practice_prefers_problems_without_a_level(pack: Pack) -> None:
    for seed in SEEDS:
        chosen = select_problems("practice", pack.problems, seed)
        assert len(chosen) == 5
        assert all(p.level is None for p in chosen)
        ranks = [DIFFICULTIES.index(p.difficulty) for p in chosen]
        assert ranks == sorted(ranks)


def test_practice_tops_up_with_challenge_problems_when_short() -> None:
    problems = (
        make_problem(1, "medium", "conceptual", "intermediate"),
        make_problem(2, "hard", "debug", "expert"),
        make_problem(3, "medium", "metrics", "advanced"),
        make_problem(4, "hard"),
        make_problem(5, "easy"),
    )
    chosen = select_problems("practice", problems, 7)
    assert {"p4", "p5"} <= {p.id for p in chosen}
    assert len(chosen) == 5


def test_shipped_practice_draws_from_the_untimed_practice_pool() -> None:
    shipped = default_pack()
    chosen = select_problems("learn", shipped.problems, 5)
    assert len(chosen) == 5 and all(p.level is None for p in chosen)
