"""Siaga TPS application package: the factory and the app-wide plumbing."""
from siaga.app import create_app

__all__ = ["create_app"]
