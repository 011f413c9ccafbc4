"""Accuracy and speed of plain-language scheduling (issue 11, item 7): ``python
benchmarks/dispatch_language.py [--model]``.

Runs every labelled request of ``tests/fieldservice/language_cases.json`` (12 technicians, 30 work orders;
see ``language_cases_source.py`` for the labels) through ``fixdesk.fieldservice.language.understand`` (the
offline parser) and prints, per category and overall, how many requests are right (every labelled field:
intent, technician, work order, date, window, candidates), the core subset's score, the median and 95th
percentile time per request, and each wrong request with its differences. With ``--model`` the requests go
through ``understand_with_model`` with the model of ``FIXDESK_LLM_*`` (falling back as in production).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fieldservice.language_evaluation import evaluate, load

from fixdesk.config import get_settings
from fixdesk.fieldservice.language import understand, understand_with_model
from fixdesk.integrations.llm import build_llm_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="store_true", help="ask the model of FIXDESK_LLM_* first")
    arguments = parser.parse_args()
    directory, timezone, _cases = load()
    model = build_llm_client(get_settings()) if arguments.model else None
    if arguments.model and model is None:
        parser.error("--model needs FIXDESK_LLM_BASE_URL and FIXDESK_LLM_MODEL")
    understand("warm up: who is free tomorrow?", now=_cases[0].now, timezone=timezone, directory=directory)

    timings: list[float] = []

    def run(case):
        started = time.perf_counter()
        if model is None:
            answer = understand(case.query, now=case.now, timezone=timezone, directory=directory)
        else:
            answer = asyncio.run(
                understand_with_model(
                    case.query, now=case.now, timezone=timezone, directory=directory, model=model
                )
            )
        timings.append(time.perf_counter() - started)
        return answer

    results = evaluate(run)
    per_category: dict[str, list[bool]] = defaultdict(list)
    for case, _answer, difference in results:
        per_category[case.category].append(not difference)
    print(f"{'category':<14} {'right':>7} {'of':>4} {'accuracy':>9}")
    for category, outcomes in per_category.items():
        print(
            f"{category:<14} {sum(outcomes):>7} {len(outcomes):>4} {100 * sum(outcomes) / len(outcomes):>8.1f}%"
        )
    right = sum(not difference for _case, _answer, difference in results)
    core = [not difference for case, _answer, difference in results if case.core]
    print(f"{'overall':<14} {right:>7} {len(results):>4} {100 * right / len(results):>8.1f}%")
    print(f"{'core':<14} {sum(core):>7} {len(core):>4} {100 * sum(core) / len(core):>8.1f}%")
    timings.sort()
    print(
        f"median {statistics.median(timings) * 1000:.2f} ms per request, "
        f"p95 {timings[int(0.95 * (len(timings) - 1))] * 1000:.2f} ms ({'model' if model else 'offline'})"
    )
    for case, answer, difference in results:
        if difference:
            print(f"wrong: {case.query!r}: {difference} (fallback: {answer.fallback_reason})")


if __name__ == "__main__":
    main()
