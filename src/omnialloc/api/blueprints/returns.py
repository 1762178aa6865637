"""Returns (RMA), reverse pickup, receiving and grading at the node, and customers' store credit."""

from __future__ import annotations

from apiflask import APIBlueprint

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.store_credit import RedeemIn, StoreCreditOut
from omnialloc.api.schemas.returns import ReceiveIn, ReturnIn, ReturnOut, ReturnPage, ReturnQuery, ReturnReasonIn
from omnialloc.api.schemas.work_orders import WorkOrderDoneIn, WorkOrderOut, WorkOrderPage, WorkOrderQuery
from omnialloc.services.returns import returns, work_orders

bp = APIBlueprint("returns", __name__, tag="Returns")

_ERRORS = [401, 403, 404, 409, 413, 422]
_CUSTOMER = "<string(maxlength=128):customer_id>"


@bp.post("/orders/<string:order_id>/returns")
@bp.auth_required(auth)
@bp.input(ReturnIn, location="json", arg_name="body")
@bp.output(ReturnOut, status_code=201)
@bp.doc(summary="Request a return of delivered units (eligibility checked; auto-approved when configured)",
        description="422 lists every reason the return is not allowed: not delivered, outside the return window "
                    "(per channel and category), more units than delivered minus already returned, a "
                    "non-returnable category, COD refund without a bank/UPI reference.", responses=_ERRORS)
def create_return(order_id: str, body: ReturnIn):
    return returns.request_return(ctx(), current(), order_id, body.model_dump()), 201


@bp.get("/returns")
@bp.auth_required(auth)
@bp.input(ReturnQuery, location="query", arg_name="query")
@bp.output(ReturnPage)
@bp.doc(summary="List returns (channel keys: their channel's; node keys: those sent to their node)",
        responses=_ERRORS)
def list_returns(query: ReturnQuery):
    return returns.list_returns(ctx(), current(), query.model_dump())


@bp.get("/returns/<string(maxlength=40):return_id>")
@bp.auth_required(auth)
@bp.output(ReturnOut)
@bp.doc(summary="A return: lines, reverse pickup and the destination explanation, dispositions, refund, events",
        responses=_ERRORS)
def get_return(return_id: str):
    return returns.return_view(ctx(), current(), return_id)


@bp.post("/returns/<string(maxlength=40):return_id>/approve")
@bp.auth_required(auth)
@bp.output(ReturnOut)
@bp.doc(summary="Approve a requested return (admin); schedules the reverse pickup", responses=_ERRORS)
def approve_return(return_id: str):
    return returns.approve(ctx(), current(), return_id)


@bp.post("/returns/<string(maxlength=40):return_id>/reject")
@bp.auth_required(auth)
@bp.input(ReturnReasonIn, location="json", arg_name="body")
@bp.output(ReturnOut)
@bp.doc(summary="Reject a requested return (admin)", responses=_ERRORS)
def reject_return(return_id: str, body: ReturnReasonIn):
    return returns.reject(ctx(), current(), return_id, body.reason)


@bp.post("/returns/<string(maxlength=40):return_id>/receive")
@bp.auth_required(auth)
@bp.input(ReceiveIn, location="json", arg_name="body")
@bp.output(ReturnOut)
@bp.doc(summary="Receive and grade the units at the destination node; disposition and resolution follow",
        description="Grades: A restock on hand at the node, B refurbish and D repair (work orders), C write off. "
                    "Received = sum of dispositions per line. Refund or store credit covers the units received.",
        responses=_ERRORS)
def receive_return(return_id: str, body: ReceiveIn):
    return returns.receive(ctx(), current(), return_id, body.model_dump())


@bp.get(f"/customers/{_CUSTOMER}/store-credit")
@bp.auth_required(auth)
@bp.output(StoreCreditOut)
@bp.doc(summary="A customer's store credit balance and ledger", responses=_ERRORS)
def get_store_credit(customer_id: str):
    return returns.store_credit(ctx(), current(), customer_id)


@bp.post(f"/customers/{_CUSTOMER}/store-credit/redeem")
@bp.auth_required(auth)
@bp.input(RedeemIn, location="json", arg_name="body")
@bp.output(StoreCreditOut)
@bp.doc(summary="Spend store credit towards one of the customer's orders (never below zero)", responses=_ERRORS)
def redeem_store_credit(customer_id: str, body: RedeemIn):
    return returns.redeem_store_credit(ctx(), current(), customer_id, body.model_dump())


@bp.get("/work-orders")
@bp.auth_required(auth)
@bp.input(WorkOrderQuery, location="query", arg_name="query")
@bp.output(WorkOrderPage)
@bp.doc(summary="List refurbishment and repair work orders (node keys: their node's)", responses=_ERRORS)
def list_work_orders(query: WorkOrderQuery):
    return work_orders.list_work_orders(ctx(), current(), query.model_dump())


@bp.post("/work-orders/<string(maxlength=40):work_order_id>/complete")
@bp.auth_required(auth)
@bp.input(WorkOrderDoneIn, location="json", arg_name="body")
@bp.output(WorkOrderOut)
@bp.doc(summary="Close a work order: restocked units back on hand at its node, the rest scrapped",
        description="restocked + scrapped must equal the work order's units (422 otherwise); a closed work "
                    "order is 409. Backorders of the SKU are retried when units come back.", responses=_ERRORS)
def complete_work_order(work_order_id: str, body: WorkOrderDoneIn):
    return work_orders.complete(ctx(), current(), work_order_id, body.model_dump())
