"""Notices: a domain change turned into messages — who is told what — through the one Outbox API
(models/outbox.py). One module per capability; each depends on models and texts only, so chat
handlers, scheduled jobs and web views that cause the same change tell the same people the same thing."""
