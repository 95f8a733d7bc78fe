"""Read-side queries shared by the dashboard, the API and exports (no Flask in here)."""
