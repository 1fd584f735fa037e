"""Cloud Run for the serving image: settings, revision naming, and the Admin API client.

One revision serves exactly one model version: revisions are named `<service>-v<version>-<suffix>`
so that traffic can be read as "which model versions get how much".
"""
