"""Blueprints, one per resource; ``register`` mounts them all."""

from __future__ import annotations

from apiflask import APIFlask


def register(app: APIFlask) -> None:
    from omnialloc.api.blueprints import inventory, nodes, orders, shipments, tracking

    for module in (orders, shipments, tracking, nodes, inventory):
        app.register_blueprint(module.bp)
    from omnialloc.api.blueprints import notifications  # noqa: E402 - notifications (issue 7)
    app.register_blueprint(notifications.bp)
    from omnialloc.api.blueprints import rules  # noqa: E402 - OMS rules (issue 5)
    app.register_blueprint(rules.bp)
    from omnialloc.api.blueprints import omnichannel, stock  # noqa: E402 - global inventory, omnichannel (issue 6)
    app.register_blueprint(stock.bp)
    app.register_blueprint(omnichannel.bp)
    from omnialloc.api.blueprints import returns  # noqa: E402 - returns and reverse logistics (issue 8)
    app.register_blueprint(returns.bp)
    from omnialloc.api.blueprints import channel_push, exports, failed_intakes, webhook_subscriptions  # noqa: E402
    for module in (channel_push, failed_intakes, webhook_subscriptions, exports):  # issue 27
        app.register_blueprint(module.bp)
    from omnialloc.api.blueprints import promise  # noqa: E402 - the delivery promise (issue 24)
    app.register_blueprint(promise.bp)
    from omnialloc.api.blueprints import payments  # noqa: E402 - exchange price differences (issue 28)
    app.register_blueprint(payments.bp)
    from omnialloc.api.blueprints import fulfilment  # noqa: E402 - documents, booking, carrier pickups (issue 26)
    app.register_blueprint(fulfilment.bp)
    from omnialloc.api.blueprints import network  # noqa: E402 - bring your own network (issue 25)
    app.register_blueprint(network.bp)
