"""Service pieces that need the optional ``service`` extra (FastAPI, uvicorn).

Never imported by the desktop app; packaging/bundle_filter.py keeps it out of the bundle.
"""
