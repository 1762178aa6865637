"""The failed-intake queue (issue 27): orders that arrived and did not validate, kept with their raw body,
listed, fixed (an alias, a PIN, a corrected body) and re-submitted into normal orders."""

from __future__ import annotations

from apiflask import APIBlueprint
from pydantic import ValidationError

from omnialloc.api.auth import auth, current
from omnialloc.api.deps import ctx
from omnialloc.api.schemas.failed_intakes import (DiscardIn, FailedIntakeOut, FailedIntakePage, FailedIntakeQuery,
                                                  ResubmitIn)
from omnialloc.api.schemas.orders import OrderIn
from omnialloc.domain.errors import FieldError, ValidationFailed
from omnialloc.services.channels import failed_intake, omnichannel

bp = APIBlueprint("failed_intakes", __name__, tag="Failed intake")

_ERRORS = [401, 403, 404, 409, 413, 422]


def validate_order_body(payload) -> dict:
    """An API order body as ``POST /orders`` validates it (a re-submitted API order goes through the same model)."""
    try:
        return OrderIn.model_validate(payload).model_dump()
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise ValidationFailed("the order body is not valid: " + "; ".join(f"{e.field}: {e.message}"
                                                                        for e in errors[:3]),
                               field_errors=errors) from None


def _submit(channel: str, source: str, payload):
    return omnichannel.submit(ctx(), channel, source, payload, validate=validate_order_body)


@bp.get("/failed-intakes")
@bp.auth_required(auth)
@bp.input(FailedIntakeQuery, location="query", arg_name="query")
@bp.output(FailedIntakePage)
@bp.doc(summary="Orders that arrived and did not validate, newest first (default: the open ones)",
        responses=_ERRORS)
def list_intakes(query: FailedIntakeQuery):
    return failed_intake.list_intakes(ctx(), current(), **query.model_dump())


@bp.get("/failed-intakes/<string:intake_id>")
@bp.auth_required(auth)
@bp.output(FailedIntakeOut)
@bp.doc(summary="One failed intake with its raw body and errors", responses=_ERRORS)
def get_intake(intake_id: str):
    return failed_intake.get_intake(ctx(), current(), intake_id)


@bp.post("/failed-intakes/<string:intake_id>/resubmit")
@bp.auth_required(auth)
@bp.input(ResubmitIn, location="json", arg_name="body")
@bp.output(FailedIntakeOut)
@bp.doc(summary="Capture it as an order after a fix (an alias added, a corrected PIN or body) (admin); still "
                "failing: 422 with the new errors", responses=_ERRORS)
def resubmit(intake_id: str, body: ResubmitIn):
    return failed_intake.resubmit(ctx(), current(), intake_id, submit=_submit, pin=body.pin, payload=body.payload)


@bp.post("/failed-intakes/<string:intake_id>/discard")
@bp.auth_required(auth)
@bp.input(DiscardIn, location="json", arg_name="body")
@bp.output(FailedIntakeOut)
@bp.doc(summary="Give up on it, with the reason (admin)", responses=_ERRORS)
def discard(intake_id: str, body: DiscardIn):
    return failed_intake.discard(ctx(), current(), intake_id, body.reason)
