"""The kinds of record custom fields can be defined on, as the domains declare them.

Custom fields know their entities only through this registry: each domain lists its entities in its
manifest (:attr:`fixdesk.platform.domains.DomainManifest.custom_field_entities`: the name definitions use,
``"customer"``, and the JSON column holding the values, ``Customer.custom_fields``) and
:func:`fixdesk.bootstrap.load_domains` registers them here. So this package imports no domain, and a new
domain gets custom fields by declaring an entity and adding a JSON ``custom_fields`` column to its table.
"""

from __future__ import annotations

from typing import Any

from fixdesk.platform.domains import CustomFieldEntity, resolve

_entities: dict[str, CustomFieldEntity] = {}
_columns: dict[str, Any] = {}


def register(entity: CustomFieldEntity) -> None:
    """Add ``entity`` (idempotent); raises ``ValueError`` when its name is taken by another column."""
    existing = _entities.get(entity.name)
    if existing is not None and existing != entity:
        raise ValueError(f"custom field entity {entity.name!r} is registered twice")
    _entities[entity.name] = entity


def names() -> tuple[str, ...]:
    """The registered entity names, in the order the domains declared them."""
    return tuple(_entities)


def is_known(name: str) -> bool:
    return name in _entities


def column(name: str) -> Any:
    """The JSON column holding entity ``name``'s values (e.g. ``Repair.custom_fields``). Raises
    ``LookupError`` for an entity no installed domain declares."""
    if name not in _entities:
        raise LookupError(f"no custom field entity {name!r}; known: {', '.join(names())}")
    if name not in _columns:
        _columns[name] = resolve(_entities[name].column)
    return _columns[name]
