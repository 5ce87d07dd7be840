"""Safety: emergency detection that models danger to life happening now."""
