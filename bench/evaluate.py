"""How fast the engine evaluates: 100,000 officials with 40 completions each against `ccmo-classic`.

Prints evaluations per second (time spent in `evaluate` only, on one core) and the peak memory of the
process. The target is at least 10,000 evaluations per second; the figure is printed, never asserted.

    .venv/bin/python bench/evaluate.py [--officials 100000] [--completions 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lti_tool.engine import Completion, Enrollment, evaluate, load_rulebook  # noqa: E402

BATCH = 1000


def completion_pool(rulebook, rng: random.Random) -> list[Completion]:
    """Completions of CCM workshops, events and trainings on dates from 2022 to 2026 (some not countable)."""
    activities = [activity for activity in rulebook.catalogue.activities.values() if activity.provider in ("ccm", "nlc")]
    pool = []
    start = dt.date(2022, 1, 3)
    for week in range(0, 52 * 5):
        for activity in rng.sample(activities, 8):
            variant = rng.random()
            format_ = "online" if variant < 0.02 else "webinar" if variant < 0.15 else None
            pool.append(activity.completion(f"w{week}-{activity.id}", start + dt.timedelta(days=7 * week + rng.randrange(5)),
                                            format=format_, reversed=rng.random() < 0.01))
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--completions", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    rulebook = load_rulebook()
    edition = rulebook.edition("ccmo-classic")
    rng = random.Random(options.seed)
    pool = completion_pool(rulebook, rng)
    as_of = dt.date(2026, 6, 30)
    first_enrollment = dt.date(2023, 1, 1)
    statuses: collections.Counter[str] = collections.Counter()
    elapsed = 0.0
    done = 0
    while done < options.officials:
        size = min(BATCH, options.officials - done)
        batch = [
            (Enrollment(edition.id, first_enrollment + dt.timedelta(days=rng.randrange(1200))),
             rng.sample(pool, options.completions))
            for _ in range(size)
        ]
        started = time.perf_counter()
        for enrollment, completions in batch:
            statuses[evaluate(edition, enrollment, completions, as_of).status] += 1
        elapsed += time.perf_counter() - started
        done += size

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"officials: {options.officials}, completions each: {options.completions}, edition: {edition.id}")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"evaluate time: {elapsed:.2f} s")
    print(f"evaluations per second: {options.officials / elapsed:,.0f}")
    print(f"peak memory (max RSS): {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
