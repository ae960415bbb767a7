"""What people and programs read: the one vocabulary of labels, rule conditions as sentences,
decisions as text and as an HTML page, and the JSON Schemas of what gridconnect writes."""
