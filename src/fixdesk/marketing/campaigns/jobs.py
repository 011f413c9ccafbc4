"""Campaign jobs: the send jobs (batch after batch, :func:`.sending.send_batches`), the check that
finishes a campaign whose last claims belonged to a stopped worker, and the periodic start of scheduled
campaigns (every minute)."""

from __future__ import annotations

import uuid

from fixdesk.marketing.campaigns import sending, service
from fixdesk.marketing.campaigns.sending import FINISH_JOB, SEND_JOB, START_DUE_JOB
from fixdesk.platform.jobs import JobContext, handler
from fixdesk.platform.jobs.registry import PermanentJobError


@handler(SEND_JOB, max_attempts=20)
async def send_campaign(context: JobContext) -> None:
    """Send a campaign's queued recipients in batches until none is left (idempotent: only queued rows are
    claimed, so a rerun or a second job sends nobody twice)."""
    if context.services is None or context.services.email is None:
        raise RuntimeError("the worker was started without an email provider")
    try:
        campaign_id = uuid.UUID(context.payload["campaignId"])
    except (KeyError, ValueError) as error:
        raise PermanentJobError("bad payload") from error
    worker_id = f"{context.job_id}:{context.attempt}"
    await sending.send_batches(
        context.sessionmaker, campaign_id, context.settings, context.services.email, worker_id
    )


@handler(FINISH_JOB)
async def finish_campaign(context: JobContext) -> None:
    """Fail the expired claims of a campaign (their worker stopped: not resent) and finish it when nothing
    is left in flight, or look again when the next claim expires."""
    campaign_id = uuid.UUID(context.payload["campaignId"])
    session = context.session
    await sending.expire_claims(session, campaign_id)
    if not await sending.finish_if_done(session, campaign_id):
        await sending.plan_finish_check(session, campaign_id)


@handler(START_DUE_JOB)
async def start_due_campaigns(context: JobContext) -> None:
    """Start the scheduled campaigns whose time has come."""
    await service.start_due(context.session, context.settings)
