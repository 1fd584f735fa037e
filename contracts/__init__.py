"""The formats and rules that several parts of the platform share, each defined once here.

Serving, training, monitoring, batch scoring, the registry tools and the deploy targets all import
from this package, and every image copies it, so it depends on the standard library, pydantic and
(for the feedback labels only) pandas, never on training or serving code:

- `contracts.settings`: the settings root every package's settings derive from, and the one
  formatter of a bad environment variable;
- `contracts.model_uri`: registry model URIs (`models:/NAME@ALIAS`, `models:/NAME/VERSION`),
  parsed one way, and the default `models:/<TU_MODEL_NAME>@production`;
- `contracts.prediction_log`: the prediction-log record serving writes and monitoring, A/B
  analysis and the traffic simulation read;
- `contracts.cloud_logging`: the structured-logging fields Cloud Logging lifts out of a JSON log
  line (severity, time, trace, labels), built one way for every log line serving writes;
- `contracts.feedback`: the delayed-label file (`ticket_id,urgent`) and its one set of rules;
- `contracts.redaction`: credentials removed from anything shown or logged;
- `contracts.cli`: how every command-line tool fails (one masked `error:` line, an exit code) and
  names a bad option.
"""
