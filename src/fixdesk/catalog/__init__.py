"""The device catalog: brands, device models, repair types, part types, the price list and the estimator."""
