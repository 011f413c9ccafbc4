"""Order endpoints (``/api/v1/orders``, seed 002)."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response, status

from fixdesk.billing.permissions import INVOICES_WRITE
from fixdesk.config import Settings
from fixdesk.customers.schemas import CustomerBrief
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Forbidden
from fixdesk.platform.openapi import request_example, response_example
from fixdesk.platform.pagination import Page, PageParams, page_params
from fixdesk.platform.permissions import Principal, require
from fixdesk.platform.schemas import DayOrMoment
from fixdesk.sales import examples
from fixdesk.sales.models import Order, OrderStatus, OrderType
from fixdesk.sales.orders import lifecycle, service
from fixdesk.sales.orders.schemas import OrderCreate, OrderItemRead, OrderRead, OrderStatusChange
from fixdesk.sales.permissions import ORDERS_READ, ORDERS_WRITE

router = APIRouter(tags=["orders"])

OrdersRead = Annotated[Principal, Depends(require(ORDERS_READ))]
OrdersWrite = Annotated[Principal, Depends(require(ORDERS_WRITE))]


def order_read(order: Order, settings: Settings) -> OrderRead:
    """An order loaded with its customer and items."""
    return OrderRead(
        id=order.id,
        order_number=order.order_number,
        customer_id=order.customer_id,
        customer=CustomerBrief.model_validate(order.customer),
        order_type=order.order_type,
        status=order.status,
        payment_status=order.payment_status,
        items=[
            OrderItemRead(
                product_id=item.product_id,
                name=item.name,
                sku=item.sku,
                quantity=item.quantity,
                price=item.unit_price,
                line_total=item.line_total,
            )
            for item in order.items
        ],
        subtotal=order.subtotal,
        tax_rate=order.tax_rate,
        tax_amount=order.tax_amount,
        total_amount=order.total,
        currency=settings.currency,
        notes=order.notes,
        allowed_transitions=lifecycle.allowed_next(order.status),
        created_at=order.created_at,
        updated_at=order.updated_at,
        completed_at=order.completed_at,
        cancelled_at=order.cancelled_at,
        invoice_id=order.invoice_id,
    )


@router.get("/orders", operation_id="orders-list", response_model=Page[OrderRead])
async def list_orders(
    session: SessionDep,
    _: OrdersRead,
    settings: SettingsDep,
    params: Annotated[PageParams, Depends(page_params)],
    status_filter: Annotated[OrderStatus | None, Query(alias="status")] = None,
    order_type: Annotated[OrderType | None, Query(alias="orderType")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    start_date: Annotated[
        DayOrMoment | None, Query(alias="startDate", description="Placed on/after (a shop day or a moment)")
    ] = None,
    end_date: Annotated[
        DayOrMoment | None,
        Query(alias="endDate", description="Placed on/before a shop day, or before a moment"),
    ] = None,
):
    """List orders, newest first."""
    start, end = service.period_bounds(start_date, end_date, ZoneInfo(settings.shop_timezone))
    filters = service.OrderFilters(
        status=status_filter.value if status_filter else None,
        order_type=order_type.value if order_type else None,
        customer_id=customer_id,
        start=start,
        end=end,
    )
    rows, total = await service.list_orders(session, filters, params)
    return Page[OrderRead].build([order_read(row, settings) for row in rows], total, params)


@router.post(
    "/orders",
    operation_id="orders-create",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses=response_example(201, examples.ORDER_RESPONSE),
    openapi_extra=request_example(examples.ORDER_CREATE_REQUEST),
)
async def create_order(body: OrderCreate, session: SessionDep, principal: OrdersWrite, settings: SettingsDep):
    """Place an order (server-computed prices and totals; stock reserved; 409 when short)."""
    return order_read(await service.create_order(session, principal, body, settings=settings), settings)


@router.get("/orders/{order_id}", operation_id="orders-get", response_model=OrderRead)
async def get_order(order_id: uuid.UUID, session: SessionDep, _: OrdersRead, settings: SettingsDep):
    """One order with its items and totals."""
    return order_read(await service.get_order(session, order_id), settings)


@router.patch(
    "/orders/{order_id}/status",
    operation_id="orders-update-status",
    response_model=OrderRead,
    openapi_extra=request_example(examples.ORDER_STATUS_REQUEST),
)
async def change_status(
    order_id: uuid.UUID,
    body: OrderStatusChange,
    session: SessionDep,
    principal: OrdersWrite,
    settings: SettingsDep,
):
    """Change an order's status and/or payment status (409 names the allowed ones)."""
    return order_read(await service.change_status(session, principal, order_id, body), settings)


@router.post(
    "/orders/{order_id}/invoice",
    operation_id="orders-invoice",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead,
    responses={200: {"description": "Already invoiced: the order, naming its invoice", "model": OrderRead}},
)
async def invoice_order(
    order_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(INVOICES_WRITE))],
    settings: SettingsDep,
    response: Response,
):
    """Invoice the order through billing: a draft invoice of its lines as charged (201, ``Location`` is the
    invoice). Idempotent: while that invoice is not void, calling again answers 200 with the same
    ``invoiceId``. 409 for a cancelled order. Needs ``invoices:write`` and ``orders:write`` (403)."""
    if not principal.has(ORDERS_WRITE):
        raise Forbidden(f"This needs the '{ORDERS_WRITE}' permission.", required=ORDERS_WRITE)
    order, created = await service.invoice_order(session, principal, order_id, settings=settings)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/invoices/{order.invoice_id}"
    return order_read(order, settings)
