"""Custom fields: shop-defined extra fields on customers and repairs, validated on write and filterable."""
