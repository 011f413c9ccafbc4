"""The demo shop: believable data for trying Fixdesk out and for benchmarking it.

* :mod:`fixdesk.demo.devices` is pure data: 800+ real device models (brand, type, release year, tier),
  intake issue descriptions per device type and what the bench does about each, cosmetic conditions,
  status-change notes, and what customers write (quote answers, reviews) in English, Portuguese and
  Spanish.
* :mod:`fixdesk.demo.catalog` builds the demo catalog from it: brands, device models, repair and part
  types, and a price list for the popular models, with the estimator run on it in memory.
* :mod:`fixdesk.demo.bench` prices each demo repair: line items and labour, totals at the shop's tax rate,
  the quotes its history implies, the warranties of its fitted parts and the customer's review.
* :mod:`fixdesk.demo.field` builds the field team in Austin, TX: technicians with skills, hours, time off and
  home bases, service locations on real streets (``demo/data/austin_streets.json``) with their equipment,
  recurring service plans and a year of work orders up to four weeks ahead, for the dispatch board.
* :mod:`fixdesk.demo.loader` fills an empty database with a repair shop built from that data:
  :func:`~fixdesk.demo.loader.load_demo` creates the staff (``admin@``, ``manager@``, ``tech@``,
  ``tech2@``, ``front-desk@example.com``), a portal customer (``customer@example.com``), all with the
  password ``fixdesk-demo``, 200 customers and 1,000 repairs with full status histories over the past
  12 months per unit of ``scale``, and the field team (10 technicians, 500 locations, 150 plans per unit). ``fixdesk demo [--scale N]`` and ``fixdesk serve --demo`` (on an
  empty database) call it; ``benchmarks/demo_scale.py`` times it on PostgreSQL.
"""
