"""Bulk import of messages exported from the feedback platform (ПОС): CSV or XLSX, with the
column mapping as configuration (no export schema is published)."""
