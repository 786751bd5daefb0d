"""Loading packs: defaults, ordering, and every kind of mistake reported with its line."""

from __future__ import annotations

import pytest

from problems.errors import PackError, PackIssue
from problems.loader import load_pack, load_packs

from .corpus import VALID_PACK, BadPack, bad_packs


def issues_of(path) -> list[PackIssue]:
    with pytest.raises(PackError) as caught:
        load_pack(path)
    return caught.value.issues


def test_valid_pack_loads_with_defaults_and_letter_order(write_pack) -> None:
    pack = load_pack(write_pack(VALID_PACK))
    (problem,) = pack.problems
    assert list(problem.choices) == ["A", "B"], "choices come back in A-D order"
    assert problem.answer_text == "'lr' inside each param group dict"
    assert problem.time_limit_s == 120 and problem.attempts == 2
    assert problem.level is None and problem.code is None and problem.tags == ()
    assert problem.verify_mode == "runs"
    assert pack.badges == ()


def test_yaml_anchors_and_merge_keys_are_understood(write_pack) -> None:
    text = VALID_PACK.replace(
        "    kind: conceptual\n    difficulty: easy\n",
        "    <<: {kind: conceptual, difficulty: easy}\n",
    )
    (problem,) = load_pack(write_pack(text)).problems
    assert (problem.kind, problem.difficulty) == ("conceptual", "easy")


@pytest.mark.parametrize("bad", bad_packs(), ids=str)
def test_bad_pack_reports_the_mistake_on_its_line(bad: BadPack) -> None:
    issues = issues_of(bad.path)
    rendered = [str(issue) for issue in issues]
    matching = [i for i in issues if i.line == bad.line and bad.expect in str(i)]
    assert matching, f"expected line {bad.line}: {bad.expect!r}; got {rendered}"
    for line in rendered:
        assert "\n" not in line
        assert line.startswith(f"{issues[0].file}:")
    assert issues[0].file.endswith(bad.path.name)


def test_bad_pack_corpus_is_big_enough_to_mean_something() -> None:
    assert len(bad_packs()) >= 30


def test_every_issue_in_a_file_is_reported_in_line_order(write_pack) -> None:
    text = (
        VALID_PACK.replace("    difficulty: easy\n", "    difficulty: extreme\n")
        .replace("    answer: A\n", "    answer: E\n")
        .replace("    hint: ", "    hnit: ")
        .replace("title: Mini pack\n", "title: Mini pack\nattempts: 2\n")
    )
    issues = issues_of(write_pack(text))
    messages = " | ".join(str(i) for i in issues)
    assert "unknown key 'attempts'" in messages
    assert "'extreme' is not one of easy, medium, hard" in messages
    assert "'E' is not one of the choices A, B" in messages
    assert "unknown key 'hnit' (did you mean 'hint'?)" in messages
    lines = [i.line or 0 for i in issues]
    assert lines == sorted(lines)


def test_pack_error_is_one_line_and_counts_the_rest(write_pack) -> None:
    text = VALID_PACK.replace("    answer: A\n", "    answer: E\n")
    text = text.replace("    hint: ", "    hnit: ")
    with pytest.raises(PackError) as caught:
        load_pack(write_pack(text))
    error = caught.value
    assert isinstance(error, ValueError)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(str(error.issues[0]))
    assert f"(and {len(error.issues) - 1} more issue" in message


def test_issue_format_names_file_line_problem_and_field() -> None:
    issue = PackIssue("problems/lr.yaml", 42, "lr-predict-1", "answer", "'E' is not a choice")
    expected = "problems/lr.yaml:42: problem 'lr-predict-1': field 'answer': 'E' is not a choice"
    assert str(issue) == expected
    no_line = PackIssue("x.yaml", None, None, None, "file\nnot  found")
    assert str(no_line) == "x.yaml: file not found"


def test_missing_file_is_an_issue_not_an_oserror(tmp_path) -> None:
    issues = issues_of(tmp_path / "nope.yaml")
    assert [str(i) for i in issues] == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_directory_given_as_a_pack_file(tmp_path) -> None:
    (issue,) = issues_of(tmp_path)
    assert "is a directory" in str(issue)


def test_non_utf8_file_is_reported(write_pack, tmp_path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID_PACK.replace("Mini", "Mïni").encode("latin-1"))
    (issue,) = issues_of(path)
    assert "not UTF-8" in str(issue)


def test_load_packs_reads_files_and_directories(tmp_path, write_pack) -> None:
    write_pack(VALID_PACK, "a.yaml")
    write_pack(VALID_PACK.replace("id: mini\n", "id: mini-two\n"), "b.yaml")
    (tmp_path / "notes.txt").write_text("not a pack")
    packs = load_packs([tmp_path, tmp_path / "a.yaml"])
    assert [pack.id for pack in packs] == ["mini", "mini-two"], "each file once, sorted"


def test_load_packs_refuses_a_pack_id_used_twice(write_pack) -> None:
    first = write_pack(VALID_PACK, "a.yaml")
    second = write_pack(VALID_PACK, "b.yaml")
    with pytest.raises(PackError) as caught:
        load_packs([first, second])
    (issue,) = caught.value.issues
    assert issue.file.endswith("b.yaml") and issue.line == 1
    assert "pack id 'mini' is already used by" in str(issue) and "a.yaml" in str(issue)


def test_load_packs_collects_issues_from_every_file(write_pack) -> None:
    first = write_pack(VALID_PACK.replace("    answer: A\n", "    answer: E\n"), "a.yaml")
    second = write_pack("- not a mapping\n", "b.yaml")
    with pytest.raises(PackError) as caught:
        load_packs([first, second])
    assert {issue.file.rsplit("/", 1)[-1] for issue in caught.value.issues} == {"a.yaml", "b.yaml"}


def test_empty_directory_is_an_issue(tmp_path) -> None:
    with pytest.raises(PackError, match=r"no \*\.yaml packs"):
        load_packs([tmp_path])
