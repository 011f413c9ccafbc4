"""Benchmark the dispatch solver on Solomon VRPTW instances (issue 11, item 6).

``python benchmarks/dispatch_vrptw.py DIR [--bks FILE] [--time-limit S] [--exploration-level L]
[--threads T]``

Runs ``fixdesk.fieldservice.dispatch.solver.solve`` (the module the dispatch API uses) on every
Solomon-format instance (``*.txt``) in ``DIR``, e.g. ``../shared/data/vrptw/solomon``, and prints one line
per instance: name, vehicles used, total distance, best-known distance, gap %, solving time in ms (wall
clock), the processor time it took in ms (all threads added up: on a machine other processes share, it
shows what the solve cost when the wall clock cannot) and whether the plan is feasible; then the final line
``instances N, mean gap X %, max gap Y %, median time Z ms, infeasible K``.

The instance becomes a routing problem as the data's README describes: Euclidean distances between the
coordinates, one unit of distance takes one unit of time, the fleet is the instance's vehicle number with
its capacity, each customer a job with its demand, service time and window ``[READY TIME, DUE DATE]`` for
the start of service, and every vehicle's shift is the depot's window. The solver takes whole numbers, so
coordinates' distances are scaled by 1,000 and rounded **up**: a plan that fits the rounded times also fits
the exact ones. Distance and gap are recomputed in the original units from the exact (unrounded)
distances, and the feasibility is checked here, independently of the solver: every customer served exactly
once, no more routes than vehicles, each route's load within the capacity, service starting inside every
window after recomputing the arrival times with the exact distances, and the return to the depot before
its due date. A job left unassigned makes the instance infeasible.

The gap is against ``<NAME>_distance`` in ``--bks`` (default: ``BKS.json`` beside ``DIR``, or in its parent),
the best known total distance when distance alone is minimised, which is what the solver does with a fixed
crew. Without a BKS file the gap columns read ``-`` and the final line reports no gap.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from fixdesk.fieldservice.dispatch.solver import (
    DEFAULT_EXPLORATION_LEVEL,
    DEFAULT_THREADS,
    DispatchPlan,
    Job,
    RoutingProblem,
    Technician,
    TimeWindow,
    solve,
)

SCALE = 1000
# Tolerance of the independent check for float rounding in the recomputed times (original units).
EPSILON = 1e-6


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: list[Customer]


def read_instance(path: Path) -> Instance:
    """Parse a Solomon file: name, ``VEHICLE`` (number, capacity), ``CUSTOMER`` rows (depot first)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    name = lines[0]
    header = lines.index("VEHICLE")
    vehicles, capacity = (int(value) for value in lines[header + 2].split())
    rows = []
    for line in lines[lines.index("CUSTOMER") + 1 :]:
        fields = line.split()
        if len(fields) == 7 and fields[0].isdigit():
            number, x, y, demand, ready, due, service = fields
            rows.append(
                Customer(
                    int(number),
                    float(x),
                    float(y),
                    int(float(demand)),
                    float(ready),
                    float(due),
                    float(service),
                )
            )
    return Instance(name, vehicles, capacity, rows[0], rows[1:])


def to_problem(instance: Instance) -> tuple[RoutingProblem, list[list[float]]]:
    """The routing problem (times and distances scaled by ``SCALE``, rounded up) and the exact distances."""
    points = [instance.depot, *instance.customers]
    exact = [[math.hypot(a.x - b.x, a.y - b.y) for b in points] for a in points]
    scaled = [[math.ceil(value * SCALE - 1e-9) for value in row] for row in exact]
    shift = TimeWindow(round(instance.depot.ready * SCALE), round(instance.depot.due * SCALE))
    technicians = [
        Technician(
            id=f"vehicle-{number + 1}",
            start_location=0,
            end_location=0,
            shift=shift,
            capacity=instance.capacity,
        )
        for number in range(instance.vehicles)
    ]
    jobs = [
        Job(
            id=str(customer.number),
            location=index,
            service_duration=round(customer.service * SCALE),
            time_windows=(TimeWindow(round(customer.ready * SCALE), round(customer.due * SCALE)),),
            demand=customer.demand,
        )
        for index, customer in enumerate(instance.customers, start=1)
    ]
    return RoutingProblem(technicians, jobs, scaled, scaled), exact


def check(instance: Instance, plan: DispatchPlan, exact: list[list[float]]) -> tuple[float, int, list[str]]:
    """Total exact distance, routes used and the feasibility errors found (empty when feasible)."""
    errors: list[str] = []
    by_number = {
        str(customer.number): (index, customer) for index, customer in enumerate(instance.customers, 1)
    }
    served: list[str] = []
    total = 0.0
    used = 0
    for route in plan.routes:
        if not route.stops:
            continue
        used += 1
        clock = instance.depot.ready
        place = 0
        load = 0
        for stop in route.stops:
            index, customer = by_number[stop.job_id]
            served.append(stop.job_id)
            total += exact[place][index]
            clock = max(clock + exact[place][index], customer.ready)
            if clock > customer.due + EPSILON:
                errors.append(
                    f"{route.technician_id} starts customer {customer.number} at {clock:.3f} > {customer.due}"
                )
            clock += customer.service
            load += customer.demand
            place = index
        total += exact[place][0]
        clock += exact[place][0]
        if clock > instance.depot.due + EPSILON:
            errors.append(f"{route.technician_id} is back at the depot at {clock:.3f} > {instance.depot.due}")
        if load > instance.capacity:
            errors.append(f"{route.technician_id} carries {load} > {instance.capacity}")
    if used > instance.vehicles:
        errors.append(f"{used} routes for {instance.vehicles} vehicles")
    if sorted(served) != sorted(by_number) or len(set(served)) != len(served):
        missing = sorted(set(by_number) - set(served), key=int)
        errors.append(f"customers not served exactly once (missing: {missing[:10]})")
    return total, used, errors


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def default_bks(directory: Path) -> Path | None:
    for candidate in (directory / "BKS.json", directory.parent / "BKS.json"):
        if candidate.exists():
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="folder of Solomon-format instances (*.txt)")
    parser.add_argument("--bks", type=Path, help="best-known values (JSON, '<NAME>_distance' keys)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per instance (default: none)")
    parser.add_argument("--exploration-level", type=int, default=DEFAULT_EXPLORATION_LEVEL)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--verbose", action="store_true", help="print each feasibility error")
    arguments = parser.parse_args(argv)

    bks_path = arguments.bks or default_bks(arguments.directory)
    best_known = json.loads(bks_path.read_text()) if bks_path else {}
    paths = sorted(arguments.directory.glob("*.txt"))
    if not paths:
        print(f"no *.txt instance in {arguments.directory}", file=sys.stderr)
        return 2

    gaps: list[float] = []
    times: list[float] = []
    infeasible = 0
    print(
        f"{'instance':<10} {'vehicles':>8} {'distance':>10} {'bks':>10} {'gap %':>7} {'time ms':>8} {'cpu ms':>7}  feasible"
    )
    for path in paths:
        instance = read_instance(path)
        problem, exact = to_problem(instance)
        started = time.perf_counter()
        cpu_started = _cpu_seconds()
        plan = solve(
            problem,
            time_limit=arguments.time_limit,
            exploration_level=arguments.exploration_level,
            threads=arguments.threads,
        )
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (_cpu_seconds() - cpu_started) * 1000
        times.append(elapsed)
        distance, used, errors = check(instance, plan, exact)
        feasible = not errors and not plan.unassigned
        infeasible += not feasible
        entry = best_known.get(f"{instance.name}_distance")
        if entry is not None:
            bks = float(entry["best_known_cost"])
            gap = 100 * (distance - bks) / bks
            gaps.append(gap)
            bks_text, gap_text = f"{bks:.2f}", f"{gap:.2f}"
        else:
            bks_text = gap_text = "-"
        print(
            f"{instance.name:<10} {used:>8} {distance:>10.2f} {bks_text:>10} {gap_text:>7} {elapsed:>8.0f} {cpu:>7.0f}  "
            f"{'yes' if feasible else 'NO'}",
            flush=True,
        )
        if arguments.verbose:
            for error in errors:
                print(f"    {error}")
            for job in plan.unassigned:
                print(f"    unassigned {job.job_id}: {job.reason}")
    mean_gap = f"{statistics.fmean(gaps):.2f}" if gaps else "-"
    max_gap = f"{max(gaps):.2f}" if gaps else "-"
    print(
        f"instances {len(paths)}, mean gap {mean_gap} %, max gap {max_gap} %, "
        f"median time {statistics.median(times):.0f} ms, infeasible {infeasible}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
