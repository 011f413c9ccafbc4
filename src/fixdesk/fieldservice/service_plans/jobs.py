"""The service plans' periodic job (hourly, declared in :mod:`fixdesk.fieldservice.manifest`): create the
work orders of occurrences within the lead time, then remind customers of visits within the reminder
time, both in the job's transaction."""

from __future__ import annotations

import structlog

from fixdesk.fieldservice.service_plans.service import create_due_occurrences, send_due_reminders
from fixdesk.platform.jobs import JobContext, handler

log = structlog.get_logger("fixdesk.fieldservice")

SERVICE_PLANS_JOB = "fieldservice.service_plans"


@handler(SERVICE_PLANS_JOB, max_attempts=3)
async def run_service_plans(context: JobContext) -> None:
    """Create due occurrences' work orders (``FIXDESK_SERVICE_PLAN_LEAD_DAYS`` ahead) and send due
    reminders (``FIXDESK_SERVICE_PLAN_REMINDER_DAYS`` ahead); each happens once per occurrence."""
    created = await create_due_occurrences(context.session, context.settings)
    reminded = await send_due_reminders(context.session, context.settings)
    if created or reminded:
        log.info("service_plans_run", work_orders_created=created, reminders_sent=reminded)
