"""Flash sales, coupons and prices."""
