"""The kernel every layer may import: config and typed settings, clock, identity, messages, text
understanding and Chinese calendar. It imports nothing from models, handlers, scheduler or the shell."""
