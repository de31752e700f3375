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


def test_search_without_question_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HUARONG_INDEX_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("HUARONG_AUTO_REBUILD", "false")
    assert main(["search"]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "Traceback" not in err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
