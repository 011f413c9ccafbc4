"""Field service (issue 11): technician profiles with skills and time off, customers' service locations
and their equipment, work orders with their technicians, status history, part and labour lines.

Revision ID: 0016
Revises: 0015 (the open repairs' search index; re-chained at the merge)
Create Date: 2026-12-06 23:12:35.449807
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_locations",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("geocode_status", sa.String(length=12), nullable=False),
        sa.Column("access_notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_locations_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_locations")),
    )
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_locations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_service_locations_customer_id_created_at", ["customer_id", "created_at"], unique=False
        )

    op.create_table(
        "technicians",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("home_address", sa.String(length=300), nullable=True),
        sa.Column("home_latitude", sa.Double(), nullable=True),
        sa.Column("home_longitude", sa.Double(), nullable=True),
        sa.Column("home_geocode_status", sa.String(length=12), nullable=False),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_technicians_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technicians")),
        sa.UniqueConstraint("user_id", name=op.f("uq_technicians_user_id")),
    )
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_technicians_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_technicians_is_active", ["is_active"], unique=False)

    op.create_table(
        "equipment",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("equipment_type", sa.String(length=100), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["service_locations.id"],
            name=op.f("fk_equipment_location_id_service_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_equipment_location_id_created_at", ["location_id", "created_at"], unique=False
        )

    op.create_table(
        "technician_skills",
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("skill", sa.String(length=50), nullable=False),
        sa.Column("skill_key", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_technician_skills_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("technician_id", "skill", name=op.f("pk_technician_skills")),
    )
    with op.batch_alter_table("technician_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_technician_skills_skill_key"), ["skill_key"], unique=False)

    op.create_table(
        "technician_time_off",
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_technician_time_off_period")),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_technician_time_off_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technician_time_off")),
    )
    with op.batch_alter_table("technician_time_off", schema=None) as batch_op:
        batch_op.create_index(
            "ix_technician_time_off_technician_id_starts_at", ["technician_id", "starts_at"], unique=False
        )

    op.create_table(
        "work_orders",
        sa.Column("work_order_number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("equipment_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("service_type", sa.String(length=100), nullable=False),
        sa.Column("required_skills", sa.JSON(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("time_window_start", sa.Time(), nullable=True),
        sa.Column("time_window_end", sa.Time(), nullable=True),
        sa.Column("estimated_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("estimated_duration_minutes > 0", name=op.f("ck_work_orders_duration")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_work_orders_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_work_orders_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_work_orders_equipment_id_equipment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["service_locations.id"],
            name=op.f("fk_work_orders_location_id_service_locations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("work_order_number", name=op.f("uq_work_orders_work_order_number")),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_orders_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_work_orders_customer_id_scheduled_date", ["customer_id", "scheduled_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_work_orders_equipment_id"), ["equipment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_orders_location_id"), ["location_id"], unique=False)
        batch_op.create_index(
            "ix_work_orders_scheduled_date_time_window_start",
            ["scheduled_date", "time_window_start"],
            unique=False,
        )
        batch_op.create_index(
            "ix_work_orders_status_scheduled_date", ["status", "scheduled_date"], unique=False
        )

    op.create_table(
        "work_order_items",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("part_number", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_work_order_items_quantity")),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_items_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_items")),
    )
    with op.batch_alter_table("work_order_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_items_work_order_id_position", ["work_order_id", "position"], unique=False
        )

    op.create_table(
        "work_order_labour",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_labour_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_labour")),
    )
    with op.batch_alter_table("work_order_labour", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_labour_work_order_id_position", ["work_order_id", "position"], unique=False
        )

    op.create_table(
        "work_order_status_history",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_work_order_status_history_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_status_history_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_status_history")),
    )
    with op.batch_alter_table("work_order_status_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_status_history_work_order_id_created_at",
            ["work_order_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "work_order_technicians",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_work_order_technicians_technician_id_technicians"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_work_order_technicians_work_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_order_id", "technician_id", name=op.f("pk_work_order_technicians")),
    )
    with op.batch_alter_table("work_order_technicians", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_order_technicians_technician_id_work_order_id",
            ["technician_id", "work_order_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("work_order_technicians", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_technicians_technician_id_work_order_id")

    op.drop_table("work_order_technicians")
    with op.batch_alter_table("work_order_status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_status_history_work_order_id_created_at")

    op.drop_table("work_order_status_history")
    with op.batch_alter_table("work_order_labour", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_labour_work_order_id_position")

    op.drop_table("work_order_labour")
    with op.batch_alter_table("work_order_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_items_work_order_id_position")

    op.drop_table("work_order_items")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_work_orders_status_scheduled_date")
        batch_op.drop_index("ix_work_orders_scheduled_date_time_window_start")
        batch_op.drop_index(batch_op.f("ix_work_orders_location_id"))
        batch_op.drop_index(batch_op.f("ix_work_orders_equipment_id"))
        batch_op.drop_index("ix_work_orders_customer_id_scheduled_date")
        batch_op.drop_index(batch_op.f("ix_work_orders_created_at"))

    op.drop_table("work_orders")
    with op.batch_alter_table("technician_time_off", schema=None) as batch_op:
        batch_op.drop_index("ix_technician_time_off_technician_id_starts_at")

    op.drop_table("technician_time_off")
    with op.batch_alter_table("technician_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_technician_skills_skill_key"))

    op.drop_table("technician_skills")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_location_id_created_at")
        batch_op.drop_index(batch_op.f("ix_equipment_created_at"))

    op.drop_table("equipment")
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.drop_index("ix_technicians_is_active")
        batch_op.drop_index(batch_op.f("ix_technicians_created_at"))

    op.drop_table("technicians")
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.drop_index("ix_service_locations_customer_id_created_at")
        batch_op.drop_index(batch_op.f("ix_service_locations_created_at"))

    op.drop_table("service_locations")
