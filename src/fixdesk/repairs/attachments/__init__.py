"""Repair photos and documents, stored in the data directory or an S3-compatible store."""
