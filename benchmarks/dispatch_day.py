"""A realistic dispatch day through the API (issue 11, item 6): ``python benchmarks/dispatch_day.py
[--jobs 200] [--technicians 20] [--exploration-level L] [--time-limit S] [--seed N]``.

Builds, in a fresh SQLite database (migrated from nothing, in a temporary directory), a field team around
Austin, Texas: ``--technicians`` technicians (08:00–17:00, lunch 12:00–12:30, homes spread over the city,
one or two skills of Septic, Plumbing, HVAC, Electrical), and ``--jobs`` work orders scheduled that day at
service locations spread over the city (about 25 km across), each with one required skill, a 2-hour
arrival window between 08:00 and 16:00, 30–90 minutes on site and a priority. Then it times
``POST /api/v1/dispatch/plan`` through the app in process (httpx's ASGI transport; travel from the
straight-line estimate) and prints the wall time, the plan's totals and the per-technician spread.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import date, time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import TEST_SECRET
from tests.factories import make_customer, make_user

from fixdesk import migrations
from fixdesk.app import create_app
from fixdesk.config import Settings
from fixdesk.db import transaction
from fixdesk.fieldservice.models import ServiceLocation, Technician, TechnicianSkill, WorkOrder

# Austin, Texas: the city's centre and the box the addresses fall in (about 25 × 25 km).
CENTRE = (30.2672, -97.7431)
SPREAD = (0.11, 0.13)
SKILLS = ("Septic", "Plumbing", "HVAC", "Electrical")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
DAY = date(2026, 6, 18)  # a Thursday
HOURS = [
    {"weekday": d, "start": "08:00", "end": "17:00", "breaks": [{"start": "12:00", "end": "12:30"}]}
    for d in range(1, 6)
]


def _somewhere(rng: random.Random) -> tuple[float, float]:
    return (
        CENTRE[0] + rng.uniform(-SPREAD[0], SPREAD[0]),
        CENTRE[1] + rng.uniform(-SPREAD[1], SPREAD[1]),
    )


async def run(arguments: argparse.Namespace) -> None:
    rng = random.Random(arguments.seed)
    directory = Path(tempfile.mkdtemp(prefix="fixdesk-dispatch-day-"))
    url = f"sqlite+aiosqlite:///{directory / 'fixdesk.db'}"
    settings = Settings(
        env="test",
        data_dir=directory / "data",
        database_url=url,
        secret_key=TEST_SECRET,
        shop_timezone="America/Chicago",
        dispatch_time_limit_seconds=arguments.time_limit,
        dispatch_exploration_level=arguments.exploration_level,
    )
    await asyncio.to_thread(migrations.upgrade, url)
    app = create_app(settings)
    sessionmaker = app.state.sessionmaker
    dispatcher = await make_user(app, sessionmaker, "manager")
    customer = await make_customer(app, sessionmaker, first_name="Pat", last_name="Rivera")
    users = [
        await make_user(app, sessionmaker, "technician", first_name=f"Tech{n:02d}")
        for n in range(arguments.technicians)
    ]
    async with transaction(sessionmaker) as session:
        for number, user in enumerate(users):
            skills = {SKILLS[number % len(SKILLS)], rng.choice(SKILLS)}
            latitude, longitude = _somewhere(rng)
            session.add(
                Technician(
                    user_id=user.id,
                    home_latitude=latitude,
                    home_longitude=longitude,
                    home_geocode_status="given",
                    working_hours=HOURS,
                    skills=[TechnicianSkill(skill=s, skill_key=s.lower()) for s in sorted(skills)],
                )
            )
        for number in range(arguments.jobs):
            latitude, longitude = _somewhere(rng)
            place = ServiceLocation(
                customer_id=customer.id,
                address_line1=f"{100 + number} Congress Ave",
                city="Austin",
                latitude=latitude,
                longitude=longitude,
                geocode_status="given",
            )
            session.add(place)
            await session.flush()
            start_hour = rng.randint(8, 14)
            session.add(
                WorkOrder(
                    work_order_number=f"WO-2026-{number + 1:06d}",
                    customer_id=customer.id,
                    location_id=place.id,
                    status="scheduled",
                    priority=rng.choice(PRIORITIES),
                    service_type="Service call",
                    required_skills=[rng.choice(SKILLS)],
                    scheduled_date=DAY,
                    time_window_start=time(start_hour),
                    time_window_end=time(start_hour + 2),
                    estimated_duration_minutes=rng.choice((30, 45, 60, 90)),
                )
            )
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://benchmark") as client:
        started = clock.perf_counter()
        response = await client.post(
            "/api/v1/dispatch/plan", json={"date": DAY.isoformat()}, headers=dispatcher.headers, timeout=600
        )
        elapsed = clock.perf_counter() - started
    response.raise_for_status()
    plan = response.json()
    totals = plan["totals"]
    per_technician = [route["totals"]["stops"] for route in plan["routes"]]
    reasons: dict[str, int] = {}
    for unplaced in plan["unplaced"]:
        reasons[unplaced["reason"]] = reasons.get(unplaced["reason"], 0) + 1
    print(
        f"jobs {arguments.jobs}, technicians {arguments.technicians}, exploration level "
        f"{arguments.exploration_level}, time limit {arguments.time_limit} s"
    )
    print(f"POST /dispatch/plan {elapsed:.2f} s")
    print(
        f"placed {totals['placed']}, unplaced {totals['unplaced']} {reasons or ''}, travel "
        f"{totals['travelMinutes']:.0f} min, {totals['distanceKm']:.1f} km"
    )
    print(
        f"stops per technician: min {min(per_technician)}, median {statistics.median(per_technician)}, "
        f"max {max(per_technician)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=20)
    parser.add_argument(
        "--exploration-level", type=int, default=Settings.model_fields["dispatch_exploration_level"].default
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds; high, to see the real time")
    parser.add_argument("--seed", type=int, default=11)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
