"""Batch scoring: a ticket file (CSV/Parquet, local or gs://) in, one prediction per ticket out.

Two engines run the same job: `job` streams the file through the model in chunks inside this
process (bounded memory, one machine), `spark` runs it on a Spark cluster through
`mlflow.pyfunc.spark_udf` (`local[N]` here, Dataproc in production). Both check every row against
the data contract first and write the rows they refuse, with reasons, beside the output.
"""

DEFAULT_CHUNK_SIZE = 5_000  # the model dominates memory; larger chunks only add to it
DEFAULT_MAX_REJECT_SHARE = 0.05  # as training's: more broken rows means the input itself is wrong
