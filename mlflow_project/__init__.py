"""The ticket urgency MLflow Project: data contract, model, training, evaluation and the gate."""
