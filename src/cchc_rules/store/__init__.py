"""The assessment store: campaigns, their events, published runs; imports reports and below.

NOTE: nothing is imported here: SQLAlchemy and Alembic take a noticeable time to load,
and only commands that open a store need them (tests/store/test_db.py checks that
importing cchc_rules or its command line loads neither). Callers import
:mod:`cchc_rules.store._ops` when they use the store.
"""
