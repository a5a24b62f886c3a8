"""``seqrec serve``: a local HTTP service that transcribes audio and ink with trained models.

``create_app`` builds the ASGI application (Starlette); ``seqrec.cli`` runs it with uvicorn.
See README's "Serving" section for the routes.
"""
