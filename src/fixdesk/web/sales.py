"""The sales pages of the staff app (issue 13, item 9): products with their stock and a low-stock flag
(``/app/products``), a product's page with its stock movements and a form to receive or adjust stock, the
orders list (``/app/orders``), an order's page (status and payment changes, cancel, "Create invoice"), a
new-order form (customer, items) and the sales dashboard (``/app/sales``: seed 002's metrics with their
change against the previous period, revenue online and offline, visitors and top products drawn by the
vendored Chart.js the receivables use, and new orders and customers arriving live over the WebSocket).

Handlers are as thin as the API routers (:mod:`fixdesk.sales.products.router`,
:mod:`fixdesk.sales.orders.router`, :mod:`fixdesk.sales.dashboard.router`): the same permissions
(``products:read``/``products:write``, ``orders:read``/``orders:write``, ``invoices:write`` too for
"Create invoice", ``dashboard:read``), the same input models and services, so a refusal (400, 409) comes
back as the API's problem on the page and nothing changes.
"""

from __future__ import annotations

import math
import uuid
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from fixdesk.billing.permissions import INVOICES_WRITE
from fixdesk.customers import access as customers_access
from fixdesk.customers import service as customers_service
from fixdesk.customers.permissions import CUSTOMERS_READ
from fixdesk.platform.deps import SessionDep, SettingsDep
from fixdesk.platform.errors import Forbidden, ValidationFailed
from fixdesk.platform.pagination import PageParams
from fixdesk.platform.permissions import Principal, require
from fixdesk.sales.dashboard import service as dashboard
from fixdesk.sales.models import OrderStatus
from fixdesk.sales.orders import lifecycle
from fixdesk.sales.orders import service as orders
from fixdesk.sales.orders.schemas import OrderCreate, OrderStatusChange
from fixdesk.sales.permissions import DASHBOARD_READ, ORDERS_READ, ORDERS_WRITE, PRODUCTS_READ, PRODUCTS_WRITE
from fixdesk.sales.products import service as products
from fixdesk.sales.products.schemas import StockMovementCreate
from fixdesk.web.forms import NO_PROBLEMS, PROBLEMS_SHOWN_ON_PAGE, Problem, form_values, parse, problem_of
from fixdesk.web.i18n import N_
from fixdesk.web.pages import NavItem, WebPages
from fixdesk.web.templating import render

router = APIRouter()

ProductsRead = Annotated[Principal, Depends(require(PRODUCTS_READ))]
ProductsWrite = Annotated[Principal, Depends(require(PRODUCTS_WRITE))]
OrdersRead = Annotated[Principal, Depends(require(ORDERS_READ))]
OrdersWrite = Annotated[Principal, Depends(require(ORDERS_WRITE))]
DashboardRead = Annotated[Principal, Depends(require(DASHBOARD_READ))]

PAGE_SIZE = 25
MOVEMENTS_PAGE_SIZE = 20
ORDER_LINES = 5
"""How many item rows the new-order form offers (the API takes up to 100)."""
CUSTOMER_CHOICES = 8
PRODUCT_CHOICES = 500
"""The new-order form lists the active products in stock by name, at most this many."""
ORDER_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Pending"),
    "processing": N_("Processing"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
ORDER_STATUS_COLOURS: dict[str, str] = {
    "pending": "yellow",
    "processing": "blue",
    "completed": "green",
    "cancelled": "secondary",
}
PAYMENT_LABELS: dict[str, str] = {"unpaid": N_("Unpaid"), "paid": N_("Paid"), "refunded": N_("Refunded")}
PAYMENT_COLOURS: dict[str, str] = {"unpaid": "orange", "paid": "green", "refunded": "secondary"}
ORDER_TYPE_LABELS: dict[str, str] = {"online": N_("Online"), "offline": N_("In store")}
MOVEMENT_LABELS: dict[str, str] = {
    "received": N_("Received"),
    "sold": N_("Sold"),
    "used_in_repair": N_("Used in a repair"),
    "adjusted": N_("Adjusted"),
    "returned": N_("Returned"),
}
PERIOD_LABELS: dict[str, str] = {
    "day": N_("Today by hour"),
    "week": N_("This week"),
    "month": N_("This month"),
    "year": N_("This year by month"),
}
NOTICES = {
    "stock": N_("The stock movement is recorded."),
    "created": N_("The order is placed and its stock reserved."),
    "status": N_("The order is updated."),
}


def _labels() -> dict[str, Any]:
    return {
        "order_status_labels": ORDER_STATUS_LABELS,
        "order_status_colours": ORDER_STATUS_COLOURS,
        "payment_labels": PAYMENT_LABELS,
        "payment_colours": PAYMENT_COLOURS,
        "order_type_labels": ORDER_TYPE_LABELS,
        "movement_labels": MOVEMENT_LABELS,
    }


def _pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _linker(base: str, query: dict[str, Any]):
    def link(**changes: Any) -> str:
        values = {key: value for key, value in {**query, **changes}.items() if value not in ("", None, 1)}
        return base + (f"?{urlencode(values)}" if values else "")

    return link


# --- products -----------------------------------------------------------------------------------------------


@router.get("/products")
async def product_list(
    request: Request,
    session: SessionDep,
    _: ProductsRead,
    settings: SettingsDep,
    search: Annotated[str, Query(alias="q", max_length=200)] = "",
    low: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The products by name, 25 a page, with price, stock on hand, threshold and a low-stock flag (stock at
    or below the threshold); a search by name, SKU or barcode, and "low stock only"."""
    filters = products.ProductFilters(search=search.strip() or None, low_stock=True if low == "1" else None)
    rows, total, sold = await products.list_products(
        session, filters, PageParams(page=page, page_size=PAGE_SIZE)
    )
    context = {
        "products": rows,
        "sold": sold,
        "total": total,
        "page": page,
        "pages": _pages(total, PAGE_SIZE),
        "filters": {"q": search, "low": low},
        "link": _linker("/app/products", {"q": search, "low": low}),
        "currency": settings.currency,
    }
    return render(request, "sales/products.html", context)


async def _product_page(
    request: Request,
    session: Any,
    principal: Principal,
    product_id: uuid.UUID,
    *,
    page: int = 1,
    problem: Problem = NO_PROBLEMS,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> HTMLResponse:
    product = await products.get_product(session, product_id)
    movements, total = await products.list_movements(
        session, product_id, PageParams(page=page, page_size=MOVEMENTS_PAGE_SIZE)
    )
    context = {
        **_labels(),
        "product": product,
        "movements": movements,
        "total": total,
        "page": page,
        "pages": _pages(total, MOVEMENTS_PAGE_SIZE),
        "link": _linker(f"/app/products/{product_id}", {}),
        "can_write": principal.has(PRODUCTS_WRITE),
        "problem": problem,
        "values": {"kind": "received", "quantity": "", "unit_cost": "", "note": "", **(values or {})},
        "notice": NOTICES.get(notice),
    }
    return render(request, "sales/product.html", context, status_code=problem.status if problem else 200)


@router.get("/products/{product_id}")
async def product_page(
    request: Request,
    product_id: uuid.UUID,
    session: SessionDep,
    principal: ProductsRead,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """A product: price, cost, stock on hand against its threshold, and its ledger of stock movements
    (newest first, 20 a page); staff with ``products:write`` record a receipt or an adjustment here."""
    return await _product_page(request, session, principal, product_id, page=page, notice=done)


@router.post("/products/{product_id}/stock")
async def record_stock(
    request: Request, product_id: uuid.UUID, session: SessionDep, principal: ProductsWrite
) -> Response:
    """Record a receipt (units in, with their unit cost) or an adjustment (a count, breakage: units in or
    out) as the API's ``POST /products/{id}/movements``; a refusal is the API's problem on the page."""
    values = await form_values(request)
    try:
        body = parse(
            StockMovementCreate,
            {
                "kind": values.get("kind") or None,
                "quantity": values.get("quantity") or None,
                "unit_cost": values.get("unit_cost") or None,
                "note": values.get("note") or None,
            },
        )
        await products.record_movement(session, principal, product_id, body)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _product_page(
            request, session, principal, product_id, problem=problem_of(error), values=values
        )
    return RedirectResponse(f"/app/products/{product_id}?done=stock", status_code=303)


# --- orders -------------------------------------------------------------------------------------------------


@router.get("/orders")
async def order_list(
    request: Request,
    session: SessionDep,
    principal: OrdersRead,
    settings: SettingsDep,
    status: Annotated[str, Query(max_length=20)] = "",
    order_type: Annotated[str, Query(alias="type", max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The orders, newest first, 25 a page, by status and type (online or in store); an unknown filter
    shows as the API's problem above an empty list (400)."""
    problem: Problem | None = None
    rows: list[Any] = []
    total = 0
    try:
        if status and status not in ORDER_STATUS_LABELS:
            raise ValidationFailed.for_field("status", "unknown status")
        if order_type and order_type not in ORDER_TYPE_LABELS:
            raise ValidationFailed.for_field("type", "unknown order type")
        filters = orders.OrderFilters(status=status or None, order_type=order_type or None)
        found, total = await orders.list_orders(session, filters, PageParams(page=page, page_size=PAGE_SIZE))
        rows = list(found)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        problem = problem_of(error)
    context = {
        **_labels(),
        "orders": rows,
        "total": total,
        "page": page,
        "pages": _pages(total, PAGE_SIZE),
        "filters": {"status": status, "type": order_type},
        "link": _linker("/app/orders", {"status": status, "type": order_type}),
        "problem": problem,
        "currency": settings.currency,
        "can_write": principal.has(ORDERS_WRITE),
    }
    return render(request, "sales/orders.html", context, status_code=problem.status if problem else 200)


async def _order_form(
    request: Request,
    session: Any,
    principal: Principal,
    settings: Any,
    values: dict[str, Any],
    problem: Problem = NO_PROBLEMS,
    search: str = "",
) -> HTMLResponse:
    choices: list[Any] = []
    if search and principal.has(CUSTOMERS_READ):
        choices, _total = await customers_service.list_customers(
            session, PageParams(page=1, page_size=CUSTOMER_CHOICES), search=search
        )
    customer = None
    customer_id = _uuid_or_none(values.get("customerId"))
    if customer_id is not None:
        customer = await customers_access.find_customer(session, customer_id)
    in_stock, _total, _sold = await products.list_products(
        session,
        products.ProductFilters(is_active=True),
        PageParams(page=1, page_size=PRODUCT_CHOICES),
    )
    context = {
        "values": {"customerId": "", "orderType": "offline", "paymentStatus": "unpaid", **values},
        "problem": problem,
        "customer": customer,
        "search": search,
        "choices": choices,
        "products": [product for product in in_stock if product.on_hand > 0],
        "lines": range(ORDER_LINES),
        "order_type_labels": ORDER_TYPE_LABELS,
        "currency": settings.currency,
    }
    return render(request, "sales/new_order.html", context, status_code=problem.status if problem else 200)


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@router.get("/orders/new")
async def new_order(
    request: Request,
    session: SessionDep,
    principal: OrdersWrite,
    settings: SettingsDep,
    customer_id: Annotated[str, Query(alias="customerId", max_length=40)] = "",
    search: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The new-order form: the customer (``?customerId=`` or found by name, email or phone with
    ``?search=``, as the search box does while one types), online or in store, paid or not, and up to five
    products in stock with their quantities. Prices and totals are the server's."""
    values: dict[str, Any] = {"customerId": customer_id, "orderType": "offline", "paymentStatus": "unpaid"}
    return await _order_form(request, session, principal, settings, values, search=search.strip())


@router.get("/orders/new/customers")
async def order_customer_choices(
    request: Request,
    session: SessionDep,
    _: OrdersWrite,
    __: Annotated[Principal, Depends(require(CUSTOMERS_READ))],
    search: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The new-order form's customer choices for ``search``, at most eight, as radio buttons (htmx swaps
    them in as staff type)."""
    rows: list[Any] = []
    if search.strip():
        rows, _total = await customers_service.list_customers(
            session, PageParams(page=1, page_size=CUSTOMER_CHOICES), search=search.strip()
        )
    return render(request, "repairs/_customer_choices.html", {"choices": rows, "search": search.strip()})


@router.post("/orders/new")
async def create_order(
    request: Request, session: SessionDep, principal: OrdersWrite, settings: SettingsDep
) -> Response:
    """Place the order (the API's ``POST /orders``: prices from the products, stock reserved), then open
    its page; rows without a product are left out. A refusal (no customer, no items, not enough stock) is
    the API's problem on the form, with what was filled kept."""
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.multi_items() if isinstance(value, str)}
    items = []
    for index in range(ORDER_LINES):
        product_id = values.get(f"items.{index}.productId", "")
        if product_id:
            items.append({"product_id": product_id, "quantity": values.get(f"items.{index}.quantity") or "1"})
    try:
        body = parse(
            OrderCreate,
            {
                "customer_id": values.get("customerId") or None,
                "order_type": values.get("orderType") or "offline",
                "payment_status": values.get("paymentStatus") or "unpaid",
                "items": items,
                "notes": values.get("notes") or None,
            },
        )
        order = await orders.create_order(session, principal, body, settings=settings)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _order_form(request, session, principal, settings, values, problem_of(error))
    return RedirectResponse(f"/app/orders/{order.id}?done=created", status_code=303)


async def _order_page(
    request: Request,
    session: Any,
    principal: Principal,
    settings: Any,
    order_id: uuid.UUID,
    *,
    problem: Problem = NO_PROBLEMS,
    notice: str = "",
) -> HTMLResponse:
    order = await orders.get_order(session, order_id)
    allowed = lifecycle.allowed_next(order.status)
    context = {
        **_labels(),
        "order": order,
        "allowed": [status for status in allowed if status != OrderStatus.cancelled.value],
        "can_cancel": OrderStatus.cancelled.value in allowed,
        "payment_next": lifecycle.allowed_payment_next(order.payment_status),
        "can_write": principal.has(ORDERS_WRITE),
        "tax_rate": format(Decimal(str(order.tax_rate)).normalize(), "f"),
        "can_invoice": principal.has(ORDERS_WRITE)
        and principal.has(INVOICES_WRITE)
        and order.status != OrderStatus.cancelled.value,
        "currency": settings.currency,
        "problem": problem,
        "notice": NOTICES.get(notice),
    }
    return render(request, "sales/order.html", context, status_code=problem.status if problem else 200)


@router.get("/orders/{order_id}")
async def order_page(
    request: Request,
    order_id: uuid.UUID,
    session: SessionDep,
    principal: OrdersRead,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """An order: customer, items as charged, totals, status and payment, its invoice; the next statuses,
    the payment change, cancel and "Create invoice" for who may take them. 404 for an unknown order."""
    return await _order_page(request, session, principal, settings, order_id, notice=done)


@router.post("/orders/{order_id}/status")
async def change_order_status(
    request: Request, order_id: uuid.UUID, session: SessionDep, principal: OrdersWrite, settings: SettingsDep
) -> Response:
    """Move the order on (``status``), cancel it (its stock returns) or change its payment status, as the
    API's ``PATCH /orders/{id}/status``; an illegal change is the API's 409 on the page."""
    values = await form_values(request)
    try:
        body = parse(
            OrderStatusChange,
            {"status": values.get("status") or None, "payment_status": values.get("paymentStatus") or None},
        )
        await orders.change_status(session, principal, order_id, body)
    except (*PROBLEMS_SHOWN_ON_PAGE, ValidationError) as error:
        await session.rollback()
        return await _order_page(request, session, principal, settings, order_id, problem=problem_of(error))
    return RedirectResponse(f"/app/orders/{order_id}?done=status", status_code=303)


@router.post("/orders/{order_id}/invoice")
async def invoice_order(
    request: Request, order_id: uuid.UUID, session: SessionDep, principal: OrdersWrite, settings: SettingsDep
) -> Response:
    """ "Create invoice": a draft invoice of the order's lines as charged (the API's
    ``POST /orders/{id}/invoice``), then the invoice's page; an order invoiced already opens its invoice.
    Needs ``invoices:write`` too (403)."""
    if not principal.has(INVOICES_WRITE):
        raise Forbidden(f"This needs the '{INVOICES_WRITE}' permission.", required=INVOICES_WRITE)
    try:
        order, created = await orders.invoice_order(session, principal, order_id, settings=settings)
    except PROBLEMS_SHOWN_ON_PAGE as error:
        await session.rollback()
        return await _order_page(request, session, principal, settings, order_id, problem=problem_of(error))
    notice = "created" if created else "existing_order"
    return RedirectResponse(f"/app/invoices/{order.invoice_id}?done={notice}", status_code=303)


# --- the sales dashboard ------------------------------------------------------------------------------------


@router.get("/sales")
async def sales_dashboard(
    request: Request,
    session: SessionDep,
    _: DashboardRead,
    settings: SettingsDep,
    period: Annotated[str, Query(max_length=10)] = "year",
) -> HTMLResponse:
    """Seed 002's sales dashboard: the last 30 days' total sales, orders, products sold and new customers,
    each with its change against the 30 days before; revenue online and offline (``period``: today by
    hour, this week by day, this month by day, this year by month, the default); visitors of the last 7 days (loyal, new, unique); the
    top products of the last 30 days. New orders and customers arrive live (the WebSocket)."""
    if period not in PERIOD_LABELS:
        period = "year"
    metrics = await dashboard.metrics(session, settings, None, None)
    revenue = await dashboard.revenue(session, settings, period)  # type: ignore[arg-type]
    visitors = await dashboard.visitors(session, settings, "week")
    top = await dashboard.top_products(session, settings, 5, "month")
    chart = {
        "currency": settings.currency,
        "revenue": {
            "labels": revenue.labels,
            "online": [str(value) for value in revenue.online],
            "offline": [str(value) for value in revenue.offline],
        },
        "visitors": {
            "labels": [day.isoformat() for day in visitors.dates],
            "loyal": visitors.loyal_customers,
            "new": visitors.new_customers,
            "unique": visitors.unique_customers,
        },
    }
    context = {
        "metrics": metrics,
        "revenue": revenue,
        "visitors": visitors,
        "top": top,
        "chart": chart,
        "period": period,
        "period_labels": PERIOD_LABELS,
        "currency": settings.currency,
    }
    return render(request, "sales/dashboard.html", context)


pages = WebPages(
    name="sales",
    staff=router,
    navigation=(
        NavItem(N_("Sales"), "/app/sales", "chart-line", permission=DASHBOARD_READ, order=31),
        NavItem(N_("Orders"), "/app/orders", "shopping-cart", permission=ORDERS_READ, order=32),
        NavItem(N_("Products"), "/app/products", "package", permission=PRODUCTS_READ, order=33),
    ),
)

__all__ = ["ORDER_STATUS_LABELS", "pages"]
