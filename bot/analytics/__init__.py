"""Learning from the requests: imported history, service metrics, the 四高 analysis, topics and reports."""
