"""The job system: a transactional job queue in the application's own database (DESIGN.md, "Jobs and
events"; designs learned from Oban, River and procrastinate).

* :func:`enqueue` writes a job row in the caller's transaction: rolled back, nothing runs; committed, it
  runs (at least once).
* :class:`~fixdesk.platform.jobs.worker.Worker` claims due jobs (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), runs the handler registered for the job's kind in its own transaction, and marks the job
  ``done`` in that same transaction, so a handler's database effects happen exactly once. Failures retry
  with exponential backoff and jitter up to ``max_attempts``, then the job is ``dead`` with its last error.
  A lease (``locked_until``, extended by a heartbeat) lets another worker take over the job of a worker
  that died.
* Periodic jobs (cron expressions) are enqueued by every worker's scheduler, and each occurrence is
  claimed through a unique row, so it runs once however many workers there are.
"""

from fixdesk.platform.jobs.models import Job, JobState, PeriodicRun
from fixdesk.platform.jobs.queue import enqueue
from fixdesk.platform.jobs.registry import JobContext, Periodic, handler, periodic, registry

__all__ = [
    "Job",
    "JobContext",
    "JobState",
    "Periodic",
    "PeriodicRun",
    "enqueue",
    "handler",
    "periodic",
    "registry",
]
