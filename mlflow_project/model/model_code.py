"""Model-from-code entry: MLflow runs this file when it loads a logged `ticket_urgency` model.

Logging the model as code (instead of a pickled object) means loading never unpickles Python
objects from the model: the class comes from the inference code bundled with the model.
"""

from mlflow.models import set_model

from mlflow_project.model.pyfunc import TicketUrgencyModel

set_model(TicketUrgencyModel())
