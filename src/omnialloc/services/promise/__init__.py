"""The delivery promise at checkout (issue 24): delivery options for a cart, as allocation would plan them."""
