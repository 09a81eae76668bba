"""Moderation: screening proposals and editing ballot projects."""
