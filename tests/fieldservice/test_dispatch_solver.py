"""The dispatch solver (issue 11, item 6): fixdesk.fieldservice.dispatch.solver.

Small days whose right answer is known or checkable, plus the Solomon instance C101 (tests/fieldservice/data)
solved feasibly close to its best-known distance. Times are seconds from the start of the day, distances
metres; every test keeps VROOM's time limit small."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from fixdesk.fieldservice.dispatch.solver import (
    Break,
    Job,
    RoutingProblem,
    Technician,
    TimeWindow,
    UnassignedReason,
    solve,
)

DATA = Path(__file__).parent / "data"
HOUR = 3600
MINUTE = 60
DAY = TimeWindow(8 * HOUR, 17 * HOUR)
SPEED = 10  # metres per second: 36 km/h in town
LIMIT = 5.0


def matrices(points: list[tuple[float, float]]) -> tuple[list[list[int]], list[list[int]]]:
    """Travel times (s) and distances (m) between points given in metres, straight line at ``SPEED``."""
    metres = [[round(math.dist(a, b)) for b in points] for a in points]
    return [[round(d / SPEED) for d in row] for row in metres], metres


def problem(points, technicians, jobs) -> RoutingProblem:
    times, metres = matrices(points)
    return RoutingProblem(technicians=technicians, jobs=jobs, travel_times=times, distances=metres)


def route_of(plan, technician_id):
    return next(route for route in plan.routes if route.technician_id == technician_id)


def test_a_small_day_gets_its_optimal_plan_with_consistent_times_and_totals():
    # Two bases 10 km apart, two jobs near each; the best plan (checked by trying every assignment and
    # order) sends each technician to the jobs near their base.
    points = [(0, 0), (10_000, 0), (1_000, 1_000), (1_500, -500), (9_000, 800), (11_000, 1_200)]
    technicians = [
        Technician("ann", start_location=0, end_location=0, shift=DAY),
        Technician("bob", start_location=1, end_location=1, shift=DAY),
    ]
    jobs = [Job(f"job-{index}", location=index, service_duration=30 * MINUTE) for index in range(2, 6)]
    day = problem(points, technicians, jobs)

    plan = solve(day, time_limit=LIMIT)

    times = day.travel_times

    def tour(base: int, locations: tuple[int, ...]) -> int:
        path = (base, *locations, base)
        return sum(times[a][b] for a, b in itertools.pairwise(path))

    best = min(
        sum(
            min(tour(base, order) for order in itertools.permutations(part))
            for base, part in ((0, a), (1, b))
        )
        for mask in range(16)
        for a, b in [
            (
                tuple(loc for bit, loc in enumerate(range(2, 6)) if mask >> bit & 1),
                tuple(loc for bit, loc in enumerate(range(2, 6)) if not mask >> bit & 1),
            )
        ]
    )
    assert plan.unassigned == ()
    assert plan.travel_time == best
    assert {stop.job_id for stop in route_of(plan, "ann").stops} == {"job-2", "job-3"}
    assert {stop.job_id for stop in route_of(plan, "bob").stops} == {"job-4", "job-5"}

    for route, base in ((route_of(plan, "ann"), 0), (route_of(plan, "bob"), 1)):
        place, clock, distance = base, route.start_time, 0
        assert route.start_time >= DAY.start
        for stop in route.stops:
            assert stop.travel_time == times[place][stop.location]
            assert stop.distance == day.distances[place][stop.location]
            assert stop.arrival == clock + stop.travel_time
            assert stop.service_start == stop.arrival + stop.waiting_time
            assert stop.departure == stop.service_start + 30 * MINUTE
            place, clock, distance = stop.location, stop.departure, distance + stop.distance
        assert route.end_time == clock + times[place][base] <= DAY.end
        assert route.distance == distance + day.distances[place][base]
        assert route.service_time == 60 * MINUTE
    assert plan.distance == sum(route.distance for route in plan.routes)


def test_skills_decide_who_goes_and_a_skill_nobody_has_leaves_the_job_out_with_that_reason():
    points = [(0, 0), (20_000, 0), (500, 0), (600, 0)]
    technicians = [
        Technician("near", start_location=0, end_location=0, shift=DAY, skills=frozenset({"Plumbing"})),
        Technician(
            "far", start_location=1, end_location=1, shift=DAY, skills=frozenset({"HVAC", "Plumbing"})
        ),
    ]
    jobs = [
        Job("furnace", location=2, service_duration=HOUR, required_skills=frozenset({"HVAC"})),
        Job("pumping", location=3, service_duration=HOUR, required_skills=frozenset({"Septic"})),
    ]

    plan = solve(problem(points, technicians, jobs), time_limit=LIMIT)

    # The HVAC job is next to the plumber's base, yet only the HVAC technician may do it.
    assert [stop.job_id for stop in route_of(plan, "far").stops] == ["furnace"]
    assert route_of(plan, "near").stops == ()
    assert route_of(plan, "near").start_time is None
    [left_out] = plan.unassigned
    assert left_out.job_id == "pumping"
    assert left_out.reason is UnassignedReason.MISSING_SKILLS
    assert "Septic" in left_out.message


def test_time_windows_waiting_and_the_lunch_break_are_respected_to_the_second():
    # Same street: 1 km from the base (100 s), the two afternoon jobs at the same address.
    points = [(0, 0), (1_000, 0), (2_000, 0)]
    technician = Technician(
        "ann",
        start_location=0,
        end_location=0,
        shift=DAY,
        breaks=(
            Break("lunch", windows=(TimeWindow(12 * HOUR, 13 * HOUR + 30 * MINUTE),), duration=30 * MINUTE),
        ),
    )
    jobs = [
        Job("noon", location=2, service_duration=HOUR, time_windows=(TimeWindow(12 * HOUR, 12 * HOUR),)),
        Job(
            "half-past-one",
            location=2,
            service_duration=HOUR,
            time_windows=(TimeWindow(13 * HOUR + 30 * MINUTE, 13 * HOUR + 30 * MINUTE),),
        ),
        Job(
            "morning",
            location=1,
            service_duration=HOUR,
            time_windows=(TimeWindow(9 * HOUR, 9 * HOUR + 30 * MINUTE), TimeWindow(15 * HOUR, 16 * HOUR)),
        ),
    ]

    plan = solve(problem(points, [technician], jobs), time_limit=LIMIT)

    route = route_of(plan, "ann")
    assert plan.unassigned == ()
    assert [stop.job_id for stop in route.stops] == ["morning", "noon", "half-past-one"]
    morning, noon, afternoon = route.stops
    assert 9 * HOUR <= morning.service_start <= 9 * HOUR + 30 * MINUTE
    assert morning.departure == morning.service_start + HOUR
    # From the morning job (ends by 10:30) the technician reaches the noon job early and waits.
    assert noon.arrival == morning.departure + 100
    assert noon.waiting_time == 12 * HOUR - noon.arrival
    assert (noon.service_start, noon.departure) == (12 * HOUR, 13 * HOUR)
    # Lunch cannot start before noon's job ends (13:00) and must end by the 13:30 job: 13:00-13:30 exactly.
    [lunch] = route.breaks
    assert (lunch.break_id, lunch.start, lunch.end) == ("lunch", 13 * HOUR, 13 * HOUR + 30 * MINUTE)
    assert route.break_time == 30 * MINUTE
    assert (afternoon.service_start, afternoon.departure) == (
        13 * HOUR + 30 * MINUTE,
        14 * HOUR + 30 * MINUTE,
    )
    assert route.end_time == afternoon.departure + 200


def test_a_window_no_shift_can_reach_is_left_out_with_that_reason():
    # The customer is an hour's drive away (36 km): the 08:00-08:30 window cannot be met by a technician
    # who starts at 08:00, and the evening window lies after every shift.
    points = [(0, 0), (36_000, 0), (1_000, 0)]
    technicians = [Technician("ann", start_location=0, end_location=0, shift=DAY)]
    jobs = [
        Job(
            "too-early",
            location=1,
            service_duration=HOUR,
            time_windows=(TimeWindow(8 * HOUR, 8 * HOUR + 1800),),
        ),
        Job("evening", location=2, service_duration=HOUR, time_windows=(TimeWindow(18 * HOUR, 20 * HOUR),)),
        Job("fine", location=2, service_duration=HOUR, time_windows=(TimeWindow(9 * HOUR, 10 * HOUR),)),
    ]

    plan = solve(problem(points, technicians, jobs), time_limit=LIMIT)

    assert {job.job_id: job.reason for job in plan.unassigned} == {
        "too-early": UnassignedReason.WINDOW_UNREACHABLE,
        "evening": UnassignedReason.WINDOW_UNREACHABLE,
    }
    assert [stop.job_id for stop in route_of(plan, "ann").stops] == ["fine"]


def test_the_higher_priority_wins_when_not_everything_fits():
    # Four hours of shift, two three-hour jobs: only one fits. The low-priority job is next door, the
    # urgent one across town, and the urgent one is served.
    points = [(0, 0), (200, 0), (15_000, 0)]
    technicians = [Technician("ann", start_location=0, end_location=0, shift=TimeWindow(8 * HOUR, 12 * HOUR))]
    jobs = [
        Job("routine", location=1, service_duration=3 * HOUR, priority=10),
        Job("no-heat", location=2, service_duration=3 * HOUR, priority=90),
    ]

    plan = solve(problem(points, technicians, jobs), time_limit=LIMIT)

    assert [stop.job_id for stop in route_of(plan, "ann").stops] == ["no-heat"]
    [left_out] = plan.unassigned
    assert (left_out.job_id, left_out.reason) == ("routine", UnassignedReason.NO_ROOM)


def test_capacity_limits_the_load_and_a_job_bigger_than_every_vehicle_is_left_out():
    points = [(0, 0), (1_000, 0), (1_000, 100), (1_000, 200)]
    technicians = [
        Technician("van-1", start_location=0, end_location=0, shift=DAY, capacity=10),
        Technician("van-2", start_location=0, end_location=0, shift=DAY, capacity=10),
    ]
    jobs = [
        Job("a", location=1, service_duration=600, demand=6),
        Job("b", location=2, service_duration=600, demand=6),
        Job("huge", location=3, service_duration=600, demand=11),
    ]

    plan = solve(problem(points, technicians, jobs), time_limit=LIMIT)

    assert sorted(len(route.stops) for route in plan.routes) == [1, 1]
    assert all(route.load <= 10 for route in plan.routes)
    assert [(job.job_id, job.reason) for job in plan.unassigned] == [("huge", UnassignedReason.OVER_CAPACITY)]


def test_the_same_input_gives_the_same_plan():
    # 40 jobs over 3 technicians with skills, windows and a lunch break: a plan with real choices in it.
    points = [(0, 0), (5_000, 5_000), (-4_000, 3_000)]
    points += [((index * 7_919) % 12_000 - 6_000, (index * 104_729) % 12_000 - 6_000) for index in range(40)]
    lunch = Break(
        "lunch", windows=(TimeWindow(11 * HOUR + 30 * MINUTE, 13 * HOUR + 30 * MINUTE),), duration=1800
    )
    technicians = [
        Technician("ann", 0, 0, DAY, breaks=(lunch,), skills=frozenset({"HVAC", "Plumbing"})),
        Technician("bob", 1, 1, DAY, breaks=(lunch,), skills=frozenset({"Plumbing"})),
        Technician("cat", 2, None, DAY, breaks=(lunch,), skills=frozenset({"Septic", "Plumbing"})),
    ]
    skills = [frozenset(), frozenset({"HVAC"}), frozenset({"Septic"}), frozenset({"Plumbing"})]
    jobs = [
        Job(
            f"job-{index}",
            location=index + 3,
            service_duration=(20 + index % 4 * 10) * MINUTE,
            time_windows=(TimeWindow((8 + index % 8) * HOUR, (10 + index % 8) * HOUR),),
            required_skills=skills[index % 4],
            priority=index % 5 * 20,
        )
        for index in range(40)
    ]
    day = problem(points, technicians, jobs)

    first = solve(day, time_limit=LIMIT)
    again = solve(day, time_limit=LIMIT, threads=1)

    assert first == again
    assert sum(len(route.stops) for route in first.routes) > 20
    cat = route_of(first, "cat")
    assert cat.end_time == cat.stops[-1].departure  # no end location: the day ends at the last job


def read_solomon(path: Path):
    lines = [line.split() for line in path.read_text().splitlines()]
    vehicles, capacity = (int(value) for value in lines[4])
    rows = [[float(value) for value in line] for line in lines[9:] if len(line) == 7]
    return vehicles, capacity, rows


def test_solomon_c101_is_solved_feasibly_within_one_percent_of_the_best_known_distance():
    vehicles, capacity, rows = read_solomon(DATA / "C101.txt")
    exact = [[math.hypot(a[1] - b[1], a[2] - b[2]) for b in rows] for a in rows]
    # Hundredths of a unit, rounded up: a plan that fits the rounded times fits the exact ones.
    scaled = [[math.ceil(value * 100 - 1e-9) for value in row] for row in exact]
    depot = rows[0]
    shift = TimeWindow(int(depot[4] * 100), int(depot[5] * 100))
    technicians = [Technician(f"v{n}", 0, 0, shift, capacity=capacity) for n in range(vehicles)]
    jobs = [
        Job(
            str(int(row[0])),
            location=index,
            service_duration=int(row[6] * 100),
            time_windows=(TimeWindow(int(row[4] * 100), int(row[5] * 100)),),
            demand=int(row[3]),
        )
        for index, row in enumerate(rows)
        if index > 0
    ]

    plan = solve(RoutingProblem(technicians, jobs, scaled, scaled), time_limit=LIMIT)

    assert plan.unassigned == ()
    served = []
    total = 0.0
    for route in plan.routes:
        clock, place, load = 0.0, 0, 0
        for stop in route.stops:
            row = rows[stop.location]
            clock = max(clock + exact[place][stop.location], row[4])
            assert clock <= row[5], f"customer {stop.job_id} starts at {clock} after its due date {row[5]}"
            clock += row[6]
            load += int(row[3])
            total += exact[place][stop.location]
            place = stop.location
            served.append(stop.job_id)
        if route.stops:
            total += exact[place][0]
            assert clock + exact[place][0] <= depot[5]
        assert load <= capacity
    assert sorted(served, key=int) == [job.id for job in jobs]
    assert total <= 828.94 * 1.01


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"travel_times": [[0, 1]]}, "square"),
        ({"jobs": [Job("a", location=5, service_duration=0)]}, "location 5"),
        ({"jobs": [Job("a", location=1, service_duration=0, priority=101)]}, "priority"),
        ({"jobs": [Job("a", 1, 0), Job("a", 1, 0)]}, "twice"),
        (
            {
                "technicians": [
                    Technician(
                        "ann", 0, 0, DAY, breaks=(Break("late", (TimeWindow(18 * HOUR, 19 * HOUR),), 600),)
                    )
                ]
            },
            "break late cannot be taken within the shift",
        ),
    ],
)
def test_an_inconsistent_problem_is_refused(change, message):
    times, metres = matrices([(0, 0), (1_000, 0)])
    fields = {
        "technicians": [Technician("ann", 0, 0, DAY)],
        "jobs": [Job("a", 1, 600)],
        "travel_times": times,
        "distances": metres,
    } | change
    with pytest.raises(ValueError, match=message):
        solve(RoutingProblem(**fields))


def test_breaks_given_in_any_order_are_each_taken_inside_their_window():
    points = [(0, 0), (1_000, 0)]
    tea = Break("tea", windows=(TimeWindow(15 * HOUR, 16 * HOUR),), duration=15 * MINUTE)
    lunch = Break("lunch", windows=(TimeWindow(12 * HOUR, 13 * HOUR),), duration=30 * MINUTE)
    technicians = [Technician("ann", 0, 0, DAY, breaks=(tea, lunch))]
    # Service is never split by a break: the three-hour job ends at noon, when lunch may start.
    jobs = [Job("morning", 1, 3 * HOUR, time_windows=(TimeWindow(9 * HOUR, 9 * HOUR),))]

    plan = solve(problem(points, technicians, jobs), time_limit=LIMIT)

    route = route_of(plan, "ann")
    assert [stop.job_id for stop in route.stops] == ["morning"]
    [job] = route.stops
    assert [rest.break_id for rest in route.breaks] == ["lunch", "tea"]
    for rest, allowed, duration in zip(route.breaks, (lunch, tea), (30 * MINUTE, 15 * MINUTE), strict=True):
        assert allowed.windows[0].start <= rest.start <= allowed.windows[0].end
        assert rest.end - rest.start == duration
        # Never during the job.
        assert rest.end <= job.service_start or rest.start >= job.departure
    assert (job.service_start, job.departure) == (9 * HOUR, 12 * HOUR)
