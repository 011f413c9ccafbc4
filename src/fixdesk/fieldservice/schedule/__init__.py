"""The schedule (issue 11, item 4): ``GET /api/v1/schedule`` in seed 001's event shape, and each
technician's private iCalendar feed."""
