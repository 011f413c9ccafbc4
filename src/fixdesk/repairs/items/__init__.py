"""Repair line items (parts and repair types) and labour lines, and the totals computed from them."""
