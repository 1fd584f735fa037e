"""`registry-tools ab`: A/B tests of a challenger model version against production.

The same commands drive Cloud Run (traffic tags through the Admin API) and a local rehearsal
(gunicorn servers behind nginx `split_clients`), from one pure planner (`ab.plan`).
"""
