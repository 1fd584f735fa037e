"""Helpers the ticket-urgency DAGs share: settings, project commands, run dates, notifications.

Everything here runs in Airflow's interpreter and uses only the standard library and the Task
SDK: the model code lives in the project's own environment and is reached through its commands
(`PROJECT_BIN`), never imported.
"""
