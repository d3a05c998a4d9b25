"""`tsur classify --workers N` and `ParallelTriage`: the stateless stages on several processes,
duplicates in the parent in input order, and output byte for byte what one process writes.
Synthetic messages only."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tsur.triage.engine.parallel import ParallelTriage
from tsur.triage.engine.pipeline import Triage
from tsur.triage.engine.place import demo_places

_PROBLEMS = [
    ("Огромная яма на дороге у дома, машины бьют колёса, третью неделю никто не ремонтирует", "ул. Садовая, д. {n}"),
    ("Третью неделю не вывозят мусор с контейнерной площадки во дворе дома", "ул. Ленина, д. {n}"),
    ("Не горит уличный фонарь у подъезда, вечером темно и опасно ходить", "ул. Кирова, д. {n}"),
    ("В квартире нет горячей воды уже пятый день, управляющая компания не отвечает", "ул. Гагарина, д. {n}"),
]


def _stream(n: int) -> list[str]:
    """`n` input lines: problems at a few addresses repeated days apart (so many lines are
    duplicates of lines several batches earlier), with malformed and invalid lines mixed in."""
    lines = []
    for i in range(n):
        if i % 50 == 7:
            lines.append(f'{{"id": "broken-{i}", "text": "обрыв')
            continue
        if i % 50 == 19:
            lines.append(json.dumps({"id": i, "text": ""}))
            continue
        text, address = _PROBLEMS[i % len(_PROBLEMS)]
        record = {
            "id": i,
            "text": f"{text} (сообщение {i % 3})",
            "address": address.format(n=i % 5 + 1),
            "created_at": f"2025-03-{1 + (i // 40) % 28:02d}T{i % 24:02d}:00:00",
        }
        if i % 11 == 0:
            record["text"] = f"В Калуге {record['text']}"
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


@pytest.fixture(scope="module")
def triage() -> Triage:
    return Triage.load(places=demo_places())


def _dump(results: list[dict]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in results)


def test_it_gives_exactly_the_output_of_one_process_across_small_batches(triage):
    lines = _stream(160)
    single = triage.stream()
    expected = single.process_lines(lines) + single.finish()
    with ParallelTriage(triage, 2, batch=7, window=3) as parallel:
        session = parallel.stream()
        got = []
        for start in range(0, len(lines), 23):  # chunks that do not line up with the batches
            got += session.feed_lines(lines[start : start + 23])
        got += session.finish()
    assert _dump(got) == _dump(expected)
    # The check means something: many lines are duplicates of a line from an earlier batch.
    position = {o["id"]: k for k, o in enumerate(expected)}
    leads = [(k, position[o["duplicate_of"]]) for k, o in enumerate(expected) if o.get("duplicate_of") is not None]
    assert len(leads) > 40
    assert all(lead < k for k, lead in leads)
    assert sum(1 for k, lead in leads if k // 7 != lead // 7) > 20
    assert sum(1 for o in expected if "error" in o) == 7


def test_the_record_api_matches_triage_process(triage):
    records = [json.loads(line) for line in _stream(60) if not line.startswith('{"id": "broken')]
    with ParallelTriage(triage, 2, batch=5) as parallel:
        got = list(parallel.process(records))
        again = list(parallel.process(records))  # a second stream starts with no duplicate state
    expected = list(triage.process(records))
    assert _dump(got) == _dump(expected) == _dump(again)


def _classify(path, *args: str) -> str:
    out = io.StringIO()
    call_command("classify", "--input", str(path), *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_same_bytes_with_two_workers(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(_stream(1200)) + "\n", encoding="utf-8")  # three batches of 512
    one = _classify(src, "--workers", "1")
    two = _classify(src, "--workers", "2")
    assert one == two
    out = [json.loads(line) for line in two.splitlines()]
    assert len(out) == 1200
    position = {o["id"]: k for k, o in enumerate(out)}
    assert any(o.get("duplicate_of") is not None and k // 512 != position[o["duplicate_of"]] // 512 for k, o in enumerate(out))


def test_workers_must_be_positive(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "Яма"}) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--workers"):
        _classify(src, "--workers", "0")


def test_with_workers_a_line_is_answered_before_the_next_one_comes():
    """A terminal or a slow pipe: the batch in flight is finished as soon as input pauses."""
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "tsur", "classify", "--workers", "2", "--no-ner"]
    proc = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        proc.stdin.write(json.dumps({"id": 1, "text": "Яма на дороге"}).encode() + b"\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)  # standard input stays open meanwhile
        assert ready, "no answer while the input was still open"
        assert json.loads(proc.stdout.readline())["block"] == "roads"
        proc.stdin.write(json.dumps({"id": 2, "text": "Не вывозят мусор"}).encode() + b"\n")
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["id"] == 2
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
