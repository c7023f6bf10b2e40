"""Marketing writes, one module per subdomain: promotions (and the quote), coupons and flash sales,
campaigns and ads, referrals, customers (RFM, membership, points)."""
