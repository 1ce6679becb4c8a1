"""The search benchmark runs end to end on a small corpus (the real run is `make bench-search`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpus import Corpus
from bench.search import main, parse


def test_the_corpus_is_deterministic_chinese_of_the_asked_length() -> None:
    first, again = Corpus(7).document(3), Corpus(7).document(3)

    assert first == again
    assert 1_500 <= len(first.body) < 1_700
    assert {query.kind for query in Corpus(7).queries(200)} >= {"word", "project", "traditional", "filtered"}


async def test_the_benchmark_reports_port_http_and_raw_fts5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await main(parse(["--docs", "200", "--queries", "30", "--data-dir", str(tmp_path)]), tmp_path)

    report = capsys.readouterr().out
    for label in (
        "indexing through the port",
        "index size",
        "raw FTS5, window pass",
        "port",
        "http",
        "p99 through HTTP",
    ):
        assert label in report
    assert "p50×" in report
