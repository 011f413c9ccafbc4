"""Work order photos (issue 11, item 8): before/after, the equipment's nameplate, a signed paper, taken by
the technician on site; stored through :mod:`fixdesk.platform.attachments` like repairs' files."""
