"""The one range every stored quantity keeps, on every backend.

Unit counts (on hand, reserved, safety stock, ordered, cancelled, shipped, returned,
transferred) are stored as 32-bit integers: PostgreSQL's INTEGER refuses anything
above 2,147,483,647 while SQLite would store it, so the store also has a CHECK per
quantity column (``ck_<table>_<column>_range``) and the API validates inputs against
the same bound. Money (paise) is 64-bit and has its own limits.
"""

QTY_MAX = 2_147_483_647  # 2**31 - 1: PostgreSQL INTEGER's maximum
