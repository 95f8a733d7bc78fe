"""Admin pages: setting up an area from its files, election settings (admin/setup.py)."""
from admin import setup

BLUEPRINTS = (setup.bp,)
