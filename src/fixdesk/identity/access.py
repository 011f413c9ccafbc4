"""How other domains read staff users: the one door to ``users`` for everything outside identity.

Field service keeps a technician profile on a staff user; it finds the user and searches staff by name
through these functions, never through a query of its own on ``users``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixdesk.identity.models import User


async def find_staff_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The staff user row by id (active or not), or ``None``."""
    return await session.get(User, user_id)


def staff_ids_matching(term: str) -> Select[tuple[uuid.UUID]]:
    """``SELECT users.id`` of the staff whose first name, last name, full name or email contains ``term``
    (any case): a subquery for another domain's search ("technicians named …")."""
    lowered = term.strip().lower()
    full_name = func.lower(User.first_name + " " + User.last_name)
    return select(User.id).where(
        or_(
            full_name.contains(lowered, autoescape=True),
            func.lower(User.email).contains(lowered, autoescape=True),
        )
    )
