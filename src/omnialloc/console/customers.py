"""The customer screen: one customer's orders, returns, payment requests and store credit.

A customer is named by customer id, e-mail address or phone number (there is no customer table: see
``services.orders.customers``); the order page links its contact details here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from omnialloc.api.deps import ctx
from omnialloc.console import bp, need
from omnialloc.domain.enums import Role
from omnialloc.domain.errors import NotFound
from omnialloc.services.orders import customers


@bp.get("/customers")
def customer():
    p = need(Role.ADMIN, Role.CHANNEL, Role.ANALYST)
    subject = (request.args.get("c") or "").strip()[:254]
    if not subject:
        flash("Name a customer: customer id, e-mail address or phone number.", "error")
        return redirect(url_for("console.orders"), code=303)
    try:
        view = customers.customer_view(ctx(), p, subject)
    except NotFound:
        return render_template("console/customer.html", c=None, subject=subject), 404
    return render_template("console/customer.html", c=view, subject=subject)
