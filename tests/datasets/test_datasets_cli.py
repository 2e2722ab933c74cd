import pytest

from pyterrier_hybrid.cli import main


def test_datasets_command_describes_a_setting(lareqa_mirror, monkeypatch, capsys):
    monkeypatch.setenv("PYTERRIER_HYBRID_LAREQA", str(lareqa_mirror))
    main(["datasets", "--show", "mlqa-r/de-en"])
    out = capsys.readouterr().out
    assert "xquad-r: 144 datasets" in out and "mlqa-r: 64 datasets" in out
    assert "mlqa-r/de-en: 6264 candidates, 512 queries, 512 qrels" in out
    assert "relevant  en:" in out


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(SystemExit, match="unknown dataset 'xquad-r/de-xx'"):
        main(["datasets", "--show", "xquad-r/de-xx"])
