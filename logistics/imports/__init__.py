"""Bulk imports from KPU-style spreadsheets (CSV or XLSX): validate every row, then all or nothing."""
