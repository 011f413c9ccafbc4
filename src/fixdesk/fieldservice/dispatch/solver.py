"""The dispatch solver: a day's jobs and technicians in, a plan of ordered stops out.

Pure: no database, no HTTP, no clock. The routing itself is done by VROOM (the Vehicle Routing Open-source
Optimization Machine, through `pyvroom`), a real vehicle-routing solver, as ../shared/DESIGN.md "Field
service and dispatch" requires: never a hand-written heuristic. This module only translates the problem to
VROOM's model, checks beforehand what no solver can fix (so the reason given for an unplaced job is the
right one), and translates the answer back.

Units, everywhere in this module:

- **times** are whole seconds counted from the start of the planning day (e.g. 08:00 is 28_800), in
  whatever time zone the caller chose for that day (the shop's, for the API);
- **durations** (travel, service, breaks, waiting) are whole seconds;
- **distances** are whole metres;
- **locations** are indices into the square travel-time and distance matrices
  (``travel_times[a][b]`` is the time from location ``a`` to location ``b``).

The objective is VROOM's: first serve as many jobs as possible, higher priorities before lower ones (VROOM
maximises the sum of the served jobs' priorities, then their number), then minimise the total travel time.
Each technician works inside their shift, takes each break inside its allowed window, and starts every job
inside one of its time windows (arriving early means waiting). A job's time window bounds the start of
service (the arrival window promised to the customer), as in VROOM and in the Solomon VRPTW instances.

Determinism: VROOM has no random part, so the same input gives the same plan, whatever the number of
threads, as long as the time limit is not reached (a search cut short by the clock depends on the
machine's speed; the limit is a safety bound, set it above the usual solving time).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Break",
    "DispatchPlan",
    "Job",
    "RoutingProblem",
    "ScheduledBreak",
    "Stop",
    "Technician",
    "TechnicianRoute",
    "TimeWindow",
    "UnassignedJob",
    "UnassignedReason",
    "solve",
]

PRIORITY_MIN = 0
PRIORITY_MAX = 100

# VROOM's own scale: 5 tries the most start solutions and the deepest local search. A 100-customer
# Solomon instance takes it about 2.5 s of processor time (benchmarks/README.md, "dispatch_vrptw.py").
DEFAULT_EXPLORATION_LEVEL = 5
DEFAULT_THREADS = 2
DEFAULT_TIME_LIMIT = 10.0

_PROFILE = "car"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An interval ``[start, end]`` of seconds from the start of the planning day, bounds included."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise ValueError(f"a time window takes whole seconds, got {self.start!r}..{self.end!r}")
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"time window {self.start}..{self.end} must satisfy 0 <= start <= end")


@dataclass(frozen=True, slots=True)
class Break:
    """A break the technician must take: ``duration`` seconds, starting inside one of ``windows`` (empty:
    anywhere in the shift) and ending within the shift.

    ``id`` is the caller's name for it (e.g. ``"lunch"``), unique within the technician.
    """

    id: str
    windows: tuple[TimeWindow, ...]
    duration: int


@dataclass(frozen=True, slots=True)
class Technician:
    """A technician and their vehicle for the day.

    - ``start_location``: where the day starts (home base), a matrix index;
    - ``end_location``: where it ends; ``None`` ends the day at the last job (no drive home counted);
    - ``shift``: the working hours; the technician leaves ``start_location`` no earlier than
      ``shift.start`` and reaches ``end_location`` (or finishes the last job) no later than ``shift.end``;
    - ``breaks``: the breaks to take inside the shift;
    - ``skills``: the technician's skill tags (shop-defined, compared exactly);
    - ``capacity``: what the vehicle carries (same unit as ``Job.demand``); ``None`` means no limit.
    """

    id: str
    start_location: int
    end_location: int | None
    shift: TimeWindow
    breaks: tuple[Break, ...] = ()
    skills: frozenset[str] = frozenset()
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A job (a work order's visit) to place.

    - ``location``: a matrix index;
    - ``service_duration``: seconds on site;
    - ``time_windows``: when service may start (one or more, e.g. morning or late afternoon); empty means
      any time in the technician's shift;
    - ``required_skills``: the technician must have all of them;
    - ``priority``: 0–100, higher is served first when not everything fits;
    - ``demand``: what the job takes from the vehicle's ``capacity`` (0 by default).
    """

    id: str
    location: int
    service_duration: int
    time_windows: tuple[TimeWindow, ...] = ()
    required_skills: frozenset[str] = frozenset()
    priority: int = 0
    demand: int = 0


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    """Everything the solver needs: technicians, jobs and the two square matrices (seconds, metres)."""

    technicians: Sequence[Technician]
    jobs: Sequence[Job]
    travel_times: Sequence[Sequence[int]]
    distances: Sequence[Sequence[int]]


@dataclass(frozen=True, slots=True)
class Stop:
    """One job on a technician's route.

    ``arrival`` is when the technician is at the job and ready (after any break taken on the way);
    ``service_start`` is ``arrival`` plus the wait for the time window (``waiting_time``); ``departure`` is
    ``service_start`` plus the service duration. ``travel_time`` (seconds) and ``distance`` (metres) are
    those of the drive from the previous stop, or from the start location for the first one.
    """

    job_id: str
    location: int
    arrival: int
    waiting_time: int
    service_start: int
    departure: int
    travel_time: int
    distance: int


@dataclass(frozen=True, slots=True)
class ScheduledBreak:
    """A break as planned: from ``start`` to ``end`` (seconds from the start of the day)."""

    break_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TechnicianRoute:
    """A technician's day.

    ``stops`` in visiting order; ``breaks`` in time order. ``start_time`` is when they leave the start
    location, ``end_time`` when they reach the end location (or finish the last job when the technician has
    no end location); both are ``None`` for a technician with no job. The totals cover the whole day,
    including the drive to the end location: ``travel_time``, ``waiting_time``, ``service_time`` and
    ``break_time`` in seconds, ``distance`` in metres, ``load`` in the unit of ``Job.demand``.
    """

    technician_id: str
    stops: tuple[Stop, ...]
    breaks: tuple[ScheduledBreak, ...]
    start_time: int | None
    end_time: int | None
    travel_time: int
    distance: int
    service_time: int
    waiting_time: int
    break_time: int
    load: int


class UnassignedReason(enum.StrEnum):
    """Why a job is not in the plan; the first three are decided before solving, the last by the solver."""

    MISSING_SKILLS = "missing_skills"
    OVER_CAPACITY = "over_capacity"
    WINDOW_UNREACHABLE = "window_unreachable"
    NO_ROOM = "no_room"


@dataclass(frozen=True, slots=True)
class UnassignedJob:
    """A job the plan leaves out, with the machine-readable ``reason`` and a sentence for the dispatcher."""

    job_id: str
    reason: UnassignedReason
    message: str


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """The plan: one route per technician, in the input's order (idle ones included, with no stops), the
    unassigned jobs in the input's order, and the totals over all routes (seconds, metres)."""

    routes: tuple[TechnicianRoute, ...]
    unassigned: tuple[UnassignedJob, ...]
    travel_time: int = field(default=0)
    distance: int = field(default=0)


def solve(
    problem: RoutingProblem,
    *,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    exploration_level: int = DEFAULT_EXPLORATION_LEVEL,
    threads: int = DEFAULT_THREADS,
) -> DispatchPlan:
    """Plan the day: assign and order the jobs over the technicians.

    ``time_limit`` (seconds, ``None`` for none) stops VROOM's search and returns the best plan found so
    far; ``exploration_level`` (1–5) and ``threads`` are VROOM's: a lower level is faster and a little
    worse; threads change the speed, not the plan.

    Jobs no technician could ever do are left out before solving, with their reason, checked in this
    order: no technician has all the required skills (``MISSING_SKILLS``); the demand exceeds the capacity
    of every technician with the skills (``OVER_CAPACITY``); no such technician can start it inside one of
    its time windows and still finish the shift, driving straight from their start location and to their
    end location (``WINDOW_UNREACHABLE``). Every other job the solver leaves out did not fit beside the
    others (``NO_ROOM``).

    Raises ``ValueError`` for an inconsistent problem: matrices not square or not the same size, a location
    outside them, a negative duration or demand, a priority outside 0–100, duplicate ids, a non-integer
    time or distance, a break that cannot be taken within its shift, or breaks VROOM finds inconsistent.
    """
    _validate(problem)
    unassigned: dict[str, UnassignedJob] = {}
    solvable: list[Job] = []
    for job in problem.jobs:
        excluded = _excluded(problem, job)
        if excluded is None:
            solvable.append(job)
        else:
            unassigned[job.id] = excluded

    routes_by_technician: dict[str, TechnicianRoute] = {}
    if solvable and problem.technicians:
        solution = _run_vroom(problem, solvable, time_limit, exploration_level, threads)
        for route in solution["routes"]:
            technician = problem.technicians[route["vehicle"]]
            routes_by_technician[technician.id] = _route(problem, technician, solvable, route)
        for missing in solution["unassigned"]:
            job = solvable[missing["id"]]
            unassigned[job.id] = UnassignedJob(
                job.id,
                UnassignedReason.NO_ROOM,
                "No room left in any technician's day beside the other jobs (higher priorities and "
                "shorter detours were placed first).",
            )
    elif solvable:
        for job in solvable:
            unassigned[job.id] = UnassignedJob(
                job.id, UnassignedReason.NO_ROOM, "No technician is available for the day."
            )

    routes = tuple(
        routes_by_technician.get(technician.id) or _idle_route(technician)
        for technician in problem.technicians
    )
    return DispatchPlan(
        routes=routes,
        unassigned=tuple(unassigned[job.id] for job in problem.jobs if job.id in unassigned),
        travel_time=sum(route.travel_time for route in routes),
        distance=sum(route.distance for route in routes),
    )


def _validate(problem: RoutingProblem) -> None:
    size = len(problem.travel_times)
    for name, matrix in (("travel_times", problem.travel_times), ("distances", problem.distances)):
        if len(matrix) != size or any(len(row) != size for row in matrix):
            raise ValueError(f"{name} must be a square matrix of {size} x {size} (one row per location)")
        for row in matrix:
            for value in row:
                if not isinstance(value, int) or value < 0:
                    raise ValueError(f"{name} holds whole non-negative numbers, got {value!r}")

    def check_location(owner: str, location: int | None) -> None:
        if location is not None and not (isinstance(location, int) and 0 <= location < size):
            raise ValueError(
                f"{owner}: location {location!r} is not an index of the {size}-location matrices"
            )

    seen: set[str] = set()
    for technician in problem.technicians:
        if technician.id in seen:
            raise ValueError(f"technician id {technician.id!r} appears twice")
        seen.add(technician.id)
        check_location(f"technician {technician.id}", technician.start_location)
        check_location(f"technician {technician.id}", technician.end_location)
        if technician.capacity is not None and technician.capacity < 0:
            raise ValueError(f"technician {technician.id}: capacity must not be negative")
        break_ids: set[str] = set()
        for rest in technician.breaks:
            if rest.id in break_ids:
                raise ValueError(f"technician {technician.id}: break id {rest.id!r} appears twice")
            break_ids.add(rest.id)
            if not isinstance(rest.duration, int) or rest.duration < 0:
                raise ValueError(f"technician {technician.id}: break {rest.id} needs a duration >= 0 s")
            shift = technician.shift
            if not any(
                window.end >= shift.start and max(window.start, shift.start) + rest.duration <= shift.end
                for window in rest.windows or (shift,)
            ):
                raise ValueError(
                    f"technician {technician.id}: break {rest.id} cannot be taken within the shift"
                )
    seen = set()
    for job in problem.jobs:
        if job.id in seen:
            raise ValueError(f"job id {job.id!r} appears twice")
        seen.add(job.id)
        check_location(f"job {job.id}", job.location)
        if not isinstance(job.service_duration, int) or job.service_duration < 0:
            raise ValueError(f"job {job.id}: service duration must be whole seconds >= 0")
        if not (isinstance(job.priority, int) and PRIORITY_MIN <= job.priority <= PRIORITY_MAX):
            raise ValueError(f"job {job.id}: priority must be a whole number from 0 to 100")
        if not isinstance(job.demand, int) or job.demand < 0:
            raise ValueError(f"job {job.id}: demand must be a whole number >= 0")


def _qualified(technician: Technician, job: Job) -> bool:
    return job.required_skills <= technician.skills


def _reachable(problem: RoutingProblem, technician: Technician, job: Job) -> bool:
    # The earliest the technician can be there is driving straight from the start at the shift's start;
    # after the job they must still drive to the end location before the shift ends.
    earliest = technician.shift.start + problem.travel_times[technician.start_location][job.location]
    back = (
        0 if technician.end_location is None else problem.travel_times[job.location][technician.end_location]
    )
    for window in job.time_windows or (technician.shift,):
        begin = max(earliest, window.start)
        if begin <= window.end and begin + job.service_duration + back <= technician.shift.end:
            return True
    return False


def _excluded(problem: RoutingProblem, job: Job) -> UnassignedJob | None:
    qualified = [technician for technician in problem.technicians if _qualified(technician, job)]
    if not qualified:
        skills = ", ".join(sorted(job.required_skills))
        return UnassignedJob(
            job.id,
            UnassignedReason.MISSING_SKILLS,
            f"No technician has all the required skills ({skills})."
            if skills
            else "No technician on the day.",
        )
    able = [t for t in qualified if t.capacity is None or job.demand <= t.capacity]
    if not able:
        return UnassignedJob(
            job.id,
            UnassignedReason.OVER_CAPACITY,
            f"Its demand ({job.demand}) exceeds the capacity of every technician with the required skills.",
        )
    if not any(_reachable(problem, technician, job) for technician in able):
        message = (
            "No technician with the required skills can start it inside its time window and finish "
            "within their shift."
            if job.time_windows
            else "No technician with the required skills can fit its travel and service within their shift."
        )
        return UnassignedJob(job.id, UnassignedReason.WINDOW_UNREACHABLE, message)
    return None


def _run_vroom(
    problem: RoutingProblem,
    jobs: list[Job],
    time_limit: float | None,
    exploration_level: int,
    threads: int,
) -> dict:
    # VROOM wants integers for ids and skills: vehicles and jobs are numbered by their position in the
    # lists, skills by their rank in sorted order so that the numbering does not depend on set order.
    skill_numbers = {
        skill: number
        for number, skill in enumerate(
            sorted(
                {s for t in problem.technicians for s in t.skills}
                | {s for j in jobs for s in j.required_skills}
            )
        )
    }
    uses_capacity = any(job.demand for job in jobs) and any(
        t.capacity is not None for t in problem.technicians
    )
    unlimited = sum(job.demand for job in jobs)

    # Imported here, not at the top: pyvroom imports pandas (about half a second of CPU), which every
    # server, worker and command process would pay at start whether it ever plans a day or not.
    import vroom

    vroom_input = vroom.Input()
    vroom_input.set_durations_matrix(_PROFILE, [list(row) for row in problem.travel_times])
    vroom_input.set_distances_matrix(_PROFILE, [list(row) for row in problem.distances])
    vehicles = []
    for number, technician in enumerate(problem.technicians):
        # A break is numbered by its position in the technician's list, which maps VROOM's answer back;
        # VROOM wants them in the order they are taken, i.e. by their earliest start.
        breaks = [
            vroom.Break(
                break_number,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in rest.windows or (technician.shift,)],
                service=rest.duration,
                description=rest.id,
            )
            for break_number, rest in sorted(
                enumerate(technician.breaks),
                key=lambda numbered: min(w.start for w in numbered[1].windows or (technician.shift,)),
            )
        ]
        capacity = technician.capacity if technician.capacity is not None else unlimited
        vehicles.append(
            vroom.Vehicle(
                number,
                start=technician.start_location,
                end=technician.end_location,
                profile=_PROFILE,
                capacity=[capacity] if uses_capacity else (),
                skills={skill_numbers[s] for s in technician.skills},
                time_window=vroom.TimeWindow(technician.shift.start, technician.shift.end),
                breaks=breaks,
            )
        )
    vroom_input.add_vehicle(vehicles)
    vroom_input.add_job(
        [
            vroom.Job(
                number,
                location=job.location,
                default_service=job.service_duration,
                delivery=[job.demand] if uses_capacity else (),
                skills={skill_numbers[s] for s in job.required_skills},
                priority=job.priority,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.time_windows],
            )
            for number, job in enumerate(jobs)
        ]
    )
    try:
        solution = vroom_input.solve(
            exploration_level=exploration_level,
            nb_threads=threads,
            timeout=None if time_limit is None else datetime.timedelta(seconds=time_limit),
        )
    except vroom._vroom.VroomInputException as error:
        # What _validate cannot foresee, e.g. two breaks whose windows leave no order to take them in.
        raise ValueError(f"the solver refused the problem: {error}") from error
    return solution.to_dict()


def _route(problem: RoutingProblem, technician: Technician, jobs: list[Job], route: dict) -> TechnicianRoute:
    stops: list[Stop] = []
    breaks: list[ScheduledBreak] = []
    # VROOM's steps carry the cumulated travel time and distance; a leg is the difference between the
    # previous place and this one (a break is taken on the spot, it adds no travel of its own).
    previous_duration = 0
    previous_distance = 0
    for step in route["steps"]:
        kind = step["type"]
        if kind == "job":
            job = jobs[step["id"]]
            service_start = step["arrival"] + step["waiting_time"]
            stops.append(
                Stop(
                    job_id=job.id,
                    location=job.location,
                    arrival=step["arrival"],
                    waiting_time=step["waiting_time"],
                    service_start=service_start,
                    departure=service_start + step["service"],
                    travel_time=step["duration"] - previous_duration,
                    distance=step["distance"] - previous_distance,
                )
            )
            previous_duration, previous_distance = step["duration"], step["distance"]
        elif kind == "break":
            start = step["arrival"] + step["waiting_time"]
            breaks.append(ScheduledBreak(technician.breaks[step["id"]].id, start, start + step["service"]))
    steps = route["steps"]
    end_step = steps[-1]
    end_time = end_step["arrival"] if end_step["type"] == "end" else None
    if technician.end_location is None:
        end_time = stops[-1].departure if stops else None
    return TechnicianRoute(
        technician_id=technician.id,
        stops=tuple(stops),
        breaks=tuple(breaks),
        start_time=steps[0]["arrival"] if steps[0]["type"] == "start" else None,
        end_time=end_time,
        travel_time=route["duration"],
        distance=route["distance"],
        service_time=sum(stop.departure - stop.service_start for stop in stops),
        waiting_time=route["waiting_time"],
        break_time=sum(rest.end - rest.start for rest in breaks),
        load=sum(jobs[step["id"]].demand for step in steps if step["type"] == "job"),
    )


def _idle_route(technician: Technician) -> TechnicianRoute:
    return TechnicianRoute(
        technician_id=technician.id,
        stops=(),
        breaks=(),
        start_time=None,
        end_time=None,
        travel_time=0,
        distance=0,
        service_time=0,
        waiting_time=0,
        break_time=0,
        load=0,
    )
