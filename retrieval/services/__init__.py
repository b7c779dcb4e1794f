"""The engine's services, one concern each; :class:`retrieval.engine.Engine` builds them
and is the facade the CLI and the bot call."""
