"""WebShop-style shopping: search a synthetic catalogue, open a product, pick options, buy."""
