import json

import pytest

from app.cli import main


def test_corpus_json(capsys):
    assert main(["corpus", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["articles"]) == 39 and len(d["glossary"]) == 23 and len(d["parts"]) == 9


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    assert "huarong-qa search" in capsys.readouterr().out


def test_search_without_question_is_a_clear_error(capsys):
    assert main(["search", "--no-rebuild"]) == 2  # the committed index loads; the question is what is missing
    err = capsys.readouterr().err
    assert "请给出一个问题" in err and "Traceback" not in err


def test_missing_index_is_a_clear_error_with_the_remedy(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HUARONG_INDEX_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("HUARONG_AUTO_REBUILD", "false")
    assert main(["search", "三江港要建设哪些物流项目?"]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "build-index" in err and "Traceback" not in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
