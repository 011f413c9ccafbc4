"""Work order photos (issue 11, item 8): before/after, the equipment's nameplate, a signed paper, taken by
the technician on site; stored through :mod:`fixdesk.platform.attachments` like repairs' files."""

MAX_VISIT_PHOTOS = 10
"""The most photos one finished-visit form of the technician's day page carries (its body limit is this
many files of ``FIXDESK_MAX_UPLOAD_BYTES``); the API takes them one upload at a time."""
