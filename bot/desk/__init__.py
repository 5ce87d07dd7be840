"""The agents' desk: what the live desk shows (queue, sessions, alerts) and call assist over a whole call."""
