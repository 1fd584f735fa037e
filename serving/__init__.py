"""The ticket-urgency prediction service: Flask app factory, gunicorn config, Cloud Run image.

It loads one MLflow model version at start-up and needs only MLflow's pyfunc loader, the model's
runtime libraries and its own HTTP layer: it imports nothing from the training code.
"""
