"""The mining pipeline: pure steps from a case's raw words to topic candidates with a draft FAQ."""
