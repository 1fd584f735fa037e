-- Runs once, when the PostgreSQL volume is first created: Airflow's metadata database
-- (the MLflow database is POSTGRES_DB).
CREATE DATABASE airflow;
