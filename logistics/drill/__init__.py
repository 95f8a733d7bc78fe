"""Drill mode (gladi): a synthetic election day played through the services, for training.

`schedule.py` makes the day as a pure list of timed events from a seed; `runner.py` plays it against
the database (claiming the day's records, refusing a day with real records, wiping afterwards).
"""
