"""Where a supply of goods takes place, for the tax invoice: the state the shipment is delivered to.

IGST Act s.10(1)(a): for goods that move, the place of supply is where the movement ends. The state
comes from the ship-to PIN (India Post directory, offline), because a PIN is what every order has and
a typed state name often is not spelled the way the tax tables need. A registered buyer's GSTIN names
where the buyer is registered, not where the goods go, so it does not decide the place of supply;
it is printed on the invoice for the buyer's input tax credit.
"""

from __future__ import annotations

from omnialloc.domain.gst import GST_CODE_OF_STATE
from omnialloc.geo import locate
from omnialloc.geo.states import display_name


def place_of_supply(ship_to_pin: str) -> str:
    """State code (e.g. "TN") of the ship-to PIN; ``UnknownPin`` (a 422) for a PIN India Post does not know."""
    return locate(ship_to_pin).state_code


def state_label(state: str) -> str:
    """How an invoice names a state: "Tamil Nadu (33)" — its name and two-digit GST code."""
    return f"{display_name(state)} ({GST_CODE_OF_STATE[state]})"
