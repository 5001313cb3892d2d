"""The benchmark suite: `python -m benchmarks` (or `make bench`).

    python -m benchmarks [--sizes small,desk,archive] [--repeat N] [--json FILE] [--data DIR]

At each size (small: the seeded set; desk: 1,000 indicators and 100,000 observations; archive:
1,000 indicators and 1,000,000 observations, made by benchmarks/generate.py and kept in DIR for
the next run) it measures what an analyst waits for, each figure the median of N runs, start-up
figures as whole processes beside their floors measured in the same run. It prints a table and
writes every figure to a JSON file. Benchmarks never run in CI: tests/test_scale_guards.py
guards the query counts and plans instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GENERATOR_SEED = 20251222
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


@dataclass
class Figure:
    size: str
    what: str
    median: float  # seconds, or `unit`
    runs: int
    target: str = ""
    holds: bool | None = None
    detail: dict[str, float] = field(default_factory=dict)
    unit: str = "s"

    def shown(self) -> str:
        return (
            f"{self.median * 1000:8.1f} ms"
            if self.unit == "s"
            else f"{self.median:8.1f} {self.unit}"
        )


def _environment(data: Path) -> dict[str, str]:
    # Tracker's compiled modules are kept, as they are for sqlmodel, the floor (compiled when
    # pip installed it), and on any analyst's machine: some images turn that off.
    dropped = {"TRACKER_DB", "TRACKER_AUTHOR", "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            "TRACKER_AUTHOR": "bench",
            "HOME": str(data / "home"),
            "XDG_DATA_HOME": str(data / "xdg"),
            "MPLCONFIGDIR": str(data / "mpl"),
        }
    )
    return env


def _process(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return times


def _in_process(action: Callable[[], object], runs: int) -> list[float]:
    action()  # the first run warms caches, as an open app has
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def database(size: str, data: Path, env: dict[str, str]) -> Path:
    """The size's database, made once and kept; each run works on a copy."""
    path = data / f"{size}-{GENERATOR_SEED}.sqlite3"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    if size == "small":
        command = [sys.executable, "-m", "tracker", "--db", str(partial), "status", "--json"]
    else:
        command = [sys.executable, "-m", "benchmarks.generate", "--db", str(partial)]
        command += ["--size", size, "--seed", str(GENERATOR_SEED)]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=REPO)
    partial.rename(path)
    print(f"made the {size} database in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def search_queries(rng: random.Random) -> list[str]:
    """100 searches an analyst might type: common and rare words, names from the long tail,
    two-word phrases, prefixes, and several terms at once."""
    from benchmarks.corpus import Corpus

    corpus = Corpus(random.Random(rng.getrandbits(64)), pool_size=2_000, names=500)
    words = [w.strip(".,;:“”\"'()") for s in corpus.sentences for w in s.split()]
    words = [w for w in words if w.isalpha() and len(w) > 3]
    common = [w for w, _ in _ranked(words)[:40]]
    rare = [w for w, _ in _ranked(words)[-200:]]
    queries = []
    for n in range(100):
        kind = n % 5
        if kind == 0:
            queries.append(rng.choice(common))
        elif kind == 1:
            queries.append(rng.choice(rare))
        elif kind == 2:
            sentence = rng.choice(corpus.sentences).split()
            start = rng.randrange(max(1, len(sentence) - 1))
            queries.append('"' + " ".join(sentence[start : start + 2]).strip(".,") + '"')
        elif kind == 3:
            queries.append(rng.choice(common + rare)[:4] + "*")
        else:
            queries.append(" ".join(rng.sample(common, 2)))
    return queries


def _ranked(words: list[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for word in words:
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def measure(size: str, data: Path, runs: int) -> list[Figure]:
    from tracker.services.clock import FixedClock
    from tracker.services.observation_log import ObservationQuery, count_log, read_log
    from tracker.services.status import status_as_of
    from tracker.storage.database import open_database

    env = _environment(data)
    source = database(size, data, env)
    work = data / f"{size}-work.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, work)
    # A kept database made by older code is brought up to date here, untimed: else the first
    # timed command would migrate it.
    upgrade = [sys.executable, "-m", "tracker", "--db", str(work), "status", "--json"]
    subprocess.run(upgrade, env=env, check=True, capture_output=True, cwd=REPO)
    figures: list[Figure] = []

    def add(what: str, times: list[float], target: str = "", limit: float | None = None) -> None:
        median = statistics.median(times)
        holds = None if limit is None else median <= limit
        figures.append(Figure(size, what, median, len(times), target, holds))

    python = sys.executable
    tracker = [python, "-m", "tracker", "--db", str(work)]
    some = "generated-01" if size != "small" else None
    indicator = _first_indicator(work)
    observe = [*tracker, "observe", f"{indicator}:toward", "--text", "Seen.", "--publisher", "Wire"]
    mark = [*tracker, "mark", indicator, "unmoved", "--why", "Nothing new."]
    if some:
        observe += ["--set", some]
        mark += ["--set", some]
    commands = {
        "sqlmodel": [python, "-c", "import sqlmodel"],
        "tracker": [python, "-c", "import tracker"],
        "observe": observe,
        "mark": mark,
    }
    # In turn, run after run, so that the floor and the commands see the machine alike: its
    # speed drifts by 10-20% over a minute, more than the 1.2x being judged.
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name] += _process(command, env, 1)
    add("floor: python -c 'import sqlmodel'", times["sqlmodel"])
    add("floor: python -c 'import tracker'", times["tracker"])
    ratio_limit = 1.2 * statistics.median(times["sqlmodel"])
    add("tracker observe (process)", times["observe"], "≤ 1.2× import sqlmodel", ratio_limit)
    add("tracker mark (process)", times["mark"], "≤ 1.2× import sqlmodel", ratio_limit)

    db = open_database(str(work))
    clock = FixedClock(NOW)
    # What is alive by now is set apart from the collector, as the app does with what its
    # start-up made once its first board is shown (TrackerApp.board_shown).
    gc.collect()
    gc.freeze()
    try:
        add("status today (query)", _in_process(lambda: status_as_of(db, clock), runs),
            "< 100 ms", 0.1)  # fmt: skip
        back = NOW.date() - timedelta(days=730)
        add("status two years back (query)",
            _in_process(lambda: status_as_of(db, clock, back), runs), "< 100 ms", 0.1)  # fmt: skip
        queries = search_queries(random.Random(7))
        for what, search in (
            ("search, 100 queries: first page (p50; p99 in detail)", read_log),
            ("search, 100 queries: the count (p50; p99 in detail)", count_log),
        ):
            times = []
            for query in queries:
                started = time.perf_counter()
                search(db, ObservationQuery(text=query))
                times.append(time.perf_counter() - started)
            times.sort()
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
            figures.append(
                Figure(
                    size,
                    what,
                    statistics.median(times),
                    len(times),
                    "p99 < 50 ms",
                    p99 < 0.05,
                    {"p99_s": p99},
                )
            )
    finally:
        db.close()

    figures += app_figures(size, work, env, runs)

    out = data / "out"
    out.mkdir(exist_ok=True)
    for label, days in (("week", 7), ("year", 365)):
        until = date(2026, 11, 1) if size != "small" else date(2025, 12, 22)
        since = until - timedelta(days=days - 1)
        for fmt in ("md", "html"):
            command = [*tracker, "brief", "--since", since.isoformat(), "--until",
                       until.isoformat(), "-o", str(out / f"brief.{fmt}")]  # fmt: skip
            if some:
                command += ["--set", some]
            target, limit = ("< 2 s", 2.0) if (label, fmt) == ("year", "html") else ("", None)
            add(f"briefing, a {label}, {fmt} (process)", _process(command, env, runs),
                target, limit)  # fmt: skip
    export_runs = 1 if size == "archive" else runs
    exported = out / "export.json"
    add("export (process)", _process([*tracker, "export", "-o", str(exported)], env, export_runs),
        "< 60 s", 60.0)  # fmt: skip
    imported = out / "imported.sqlite3"
    imports = []
    for _ in range(export_runs):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{imported}{suffix}").unlink(missing_ok=True)
        command = [python, "-m", "tracker", "--db", str(imported), "import", str(exported)]
        imports += _process(command, env, 1)
    add("import into a new database (process)", imports, "< 60 s", 60.0)
    return figures


def app_figures(size: str, work: Path, env: dict[str, str], runs: int) -> list[Figure]:
    """The app: start-up as whole processes in a terminal beside a bare Textual app, then an
    analyst's session (benchmarks/app_session.py) in a process of its own."""
    from benchmarks.terminal import time_in_terminal

    python = sys.executable
    ready_env = {**env, "TRACKER_EXIT_WHEN_READY": "1"}
    bare, ours = [], []
    for _ in range(runs):  # alternately, so that both see the machine as it is
        bare.append(time_in_terminal([python, "-m", "benchmarks.bare_app"], env, REPO,
                                     b"Indicator number 19")[0])  # fmt: skip
        ours.append(time_in_terminal([python, "-m", "tracker", "--db", str(work)], ready_env,
                                     REPO, b" moved (")[0])  # fmt: skip
    floor = statistics.median(bare)
    figures = [
        Figure(size, "floor: bare Textual app painting a 20-row DataTable", floor, runs),
        Figure(
            size,
            "app ready: the board painted with its data",
            statistics.median(ours),
            runs,
            "≤ 1.25× the bare app",
            statistics.median(ours) <= 1.25 * floor,
        ),
    ]
    sessions = []
    for _ in range(runs):
        result = subprocess.run(
            [python, "-m", "benchmarks.app_session", "--db", str(work)],
            env=env, cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"the app session failed:\n{result.stderr}")
        sessions.append(json.loads(result.stdout))

    # Each step less what the same step costs when it does nothing: the pilot's own polling.
    def waiting(s: dict[str, Any], key: str) -> float:
        return float(s["settle_waiting_s" if key == "indicator_s" else "pilot_waiting_s"])

    def step(key: str) -> float:
        return statistics.median(max(0.0, float(s[key]) - waiting(s, key)) for s in sessions)

    def cpu(name: str) -> dict[str, float]:
        return {"cpu_s": statistics.median(float(s["cpu_s"][name]) for s in sessions)}

    def timed(what: str, key: str, target: str = "", limit: float | None = None) -> Figure:
        value = step(key)
        detail = {"with_pilot_waiting_s": statistics.median(float(s[key]) for s in sessions)}
        if key.removesuffix("_s") in sessions[0]["cpu_s"]:
            detail |= cpu(key.removesuffix("_s"))
        holds = None if limit is None else value < limit
        return Figure(size, what, value, runs, target, holds, detail)

    count = sessions[0]["indicator_observations"]
    page_downs = [
        max(0.0, t - float(s["pilot_waiting_s"])) for s in sessions for t in s["page_down_s"]
    ]
    worst = max(page_downs)
    rss = statistics.median(float(s["peak_rss_mb"]) for s in sessions)
    figures += [
        Figure(
            size,
            "  pilot's own polling in each step below, taken off it",
            statistics.median(float(s["pilot_waiting_s"]) for s in sessions),
            runs,
        ),
        timed(
            f"open an indicator with {count:,} observations (app)", "indicator_s", "< 200 ms", 0.2
        ),
        timed("  then its observations tab (app)", "indicator_tab_s"),
        timed("open the observation log (app)", "log_s", "< 200 ms", 0.2),
        timed("log: End, the oldest page shown (app)", "log_end_s", "< 200 ms", 0.2),
        Figure(
            size,
            "log: Page Down from the top (p50; worst in detail)",
            statistics.median(page_downs),
            len(page_downs),
            "worst < 200 ms",
            worst < 0.2,
            {
                "worst_s": worst,
                "cpu_s_each": statistics.median(
                    float(s["cpu_s"]["page_down"]) / len(s["page_down_s"]) for s in sessions
                ),
            },
        ),
        timed("log: a search typed, first page shown (app)", "search_s"),
        Figure(
            size,
            "app peak memory after board, file, log, search",
            rss,
            runs,
            "< 200 MB",
            rss < 200,
            unit="MB",
        ),
    ]
    return figures


def _first_indicator(path: Path) -> str:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        (key,) = connection.execute("SELECT key FROM indicator ORDER BY id LIMIT 1").fetchone()
        return str(key)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", default="small,desk,archive")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--data", type=Path, default=REPO / "benchmarks" / ".data")
    arguments = parser.parse_args(argv)
    arguments.data.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    for size in arguments.sizes.split(","):
        figures += measure(size.strip(), arguments.data, arguments.repeat)
    print(f"{'size':8} {'what':58} {'median':>11}  {'target':22} holds")
    for f in figures:
        holds = "" if f.holds is None else ("yes" if f.holds else "NO")
        extra = "".join(f"  ({k} {v * 1000:.1f} ms)" for k, v in f.detail.items())
        print(f"{f.size:8} {f.what:58} {f.shown()}  {f.target:22} {holds}{extra}")
    arguments.json.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
                "figures": [asdict(f) for f in figures],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"written to {arguments.json}")


if __name__ == "__main__":
    main()
